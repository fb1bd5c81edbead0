"""python -m d2lmini.book.execute: run one framework's cells, keep the other framework's outputs."""
import json

import nbformat
import pytest

from d2lmini.book import execute


def notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    shared = nbformat.v4.new_code_cell("x = 20")
    pt = nbformat.v4.new_code_cell("print('pytorch', x + 1)", metadata={"tags": ["pytorch"]})
    tf = nbformat.v4.new_code_cell("print('tensorflow', x + 2)",
                                   metadata={"tags": ["tensorflow"]})
    tf.outputs = [nbformat.v4.new_output("stream", name="stdout", text="committed TF run\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), shared, pt, tf]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def outputs(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
            for o in c["outputs"]] + [str(c.get("execution_count")) for c in cells
                                      if c["cell_type"] == "code"]


def test_runs_one_framework_and_keeps_the_other(tmp_path):
    path = notebook(tmp_path)
    assert execute.execute_framework(path, "pytorch", timeout=60, log=lambda *a: None) == 2
    texts = outputs(path)
    assert "pytorch 21\n" in texts and "committed TF run\n" in texts
    assert not any("tensorflow 22" in t for t in texts)


def test_a_failing_cell_leaves_the_file_unchanged(tmp_path):
    path = notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "raise RuntimeError('broken cell')"
    nbformat.write(nb, path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="broken cell"):
        execute.execute_framework(path, "pytorch", timeout=60, log=lambda *a: None)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["chapter.ipynb"]


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="framework must be one of"):
        execute.execute_framework(notebook(tmp_path), "jax")
    with pytest.raises(ValueError, match="not a notebook"):
        execute.execute_framework(tmp_path / "missing.ipynb", "pytorch")


def test_match_runs_only_the_matching_cells(tmp_path):
    path = notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "print('pytorch', 21)"  # self-contained
    nb.cells[1].outputs = []
    nbformat.write(nb, path)
    assert execute.execute_framework(path, "pytorch", timeout=60, log=lambda *a: None,
                                     match=r"print\('pytorch'") == 1
    texts = outputs(path)
    assert "pytorch 21\n" in texts and "committed TF run\n" in texts


def test_skip_leaves_the_matching_cells_and_their_outputs(tmp_path):
    path = notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "import time; time.sleep(600)  # a long training cell"
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="trained\n")]
    nb.cells.append(nbformat.v4.new_code_cell("print('solution', x * 2)",
                                              metadata={"tags": ["solution", "pytorch"]}))
    nbformat.write(nb, path)
    assert execute.execute_framework(path, "pytorch", timeout=60, log=lambda *a: None,
                                     skip=r"time\.sleep") == 2
    texts = outputs(path)
    assert "trained\n" in texts and "solution 40\n" in texts and "committed TF run\n" in texts


def test_tensorflow_start_up_lines_are_stripped():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import tensorflow")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796191595.085992    7893 port.cc:153] oneDNN custom operations are on.\n"
        "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
        "TensorFlow with the appropriate compiler flags.\n")),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: a real warning\n")]
    nb.cells = [cell]
    assert execute.strip_startup_logs(nb) == 3
    assert [o["text"] for o in nb.cells[0].outputs] == ["UserWarning: a real warning\n"]


def test_cells_needing_both_frameworks_are_not_run(tmp_path):
    """A ``both-frameworks`` cell (say, one plot of both runs) needs the other framework's
    variables: like the single-framework copies, a one-framework run leaves it out, and its
    committed outputs stay."""
    path = notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    both = nbformat.v4.new_code_cell("print(result_pt, result_tf)",
                                     metadata={"tags": ["both-frameworks"]})
    both.outputs = [nbformat.v4.new_output("stream", name="stdout", text="committed plot\n")]
    nb.cells.append(both)
    nbformat.write(nb, path)
    for framework in ("pytorch", "tensorflow"):
        assert execute.execute_framework(path, framework, timeout=60, log=lambda *a: None) == 2
        assert "committed plot\n" in outputs(path)


def test_the_command_offers_the_frameworks_of_the_table(capsys):
    from d2lmini.frameworks import FRAMEWORKS
    with pytest.raises(SystemExit):
        execute.main(["x.ipynb", "--framework", "jax"])
    err = capsys.readouterr().err
    assert all(repr(f) in err for f in FRAMEWORKS), err
