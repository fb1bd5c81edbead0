#!/usr/bin/env bash
# Installs the Debian packages the book uses, when we can (root, apt-get present):
#   dataset-fashion-mnist  the real Fashion-MNIST files in /usr/share/datasets/fashion-mnist
#   chromium               the browser the site's tests drive through Playwright
# Without root it only says what is missing: d2lmini then looks for the data in
# $D2LMINI_DATA_DIR or its cache, and downloads it there if the network allows.
set -euo pipefail
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
    echo "Not root (or no apt-get): please install ${need[*]} yourself;" >&2
    echo "the data can also come from \$D2LMINI_DATA_DIR or a download." >&2
fi
