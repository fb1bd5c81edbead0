"""TensorFlow implementations behind :mod:`d2lmini.tensorflow`."""
