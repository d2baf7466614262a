#!/bin/sh
# Install the Debian packages mamori needs to build, test and fuzz.
# Idempotent: asks dpkg which are missing, runs `apt-get update` only when
# something is, and installs only those. Needs root (or sudo) only then.
set -eu

packages="
build-essential
meson
ninja-build
pkg-config
clang
clang-format
libclang-rt-dev
libyaml-dev
libjansson-dev
libcmocka-dev
hyperfine
libsodium-dev
libssl-dev
libsqlite3-dev
sqlite3
libpq-dev
postgresql
libcurl4-openssl-dev
python3-aiosmtpd
libmicrohttpd-dev
libxml2-dev
libxslt1-dev
liboath-dev
libqrencode-dev
libxlsxwriter-dev
libgmime-3.0-dev
libmilter-dev
libuchardet-dev
postfix
libmagic-dev
libzip-dev
libqpdf-dev
qpdf
libpoppler-glib-dev
libcairo2-dev
libgif-dev
libjpeg62-turbo-dev
libpng-dev
poppler-utils
valgrind
libreoffice-writer-nogui
libreoffice-calc-nogui
libreoffice-impress-nogui
zip
unzip
nftables
iptables
iproute2
curl
wrk
chromium
fonts-noto-cjk
"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
else
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test peer of the milter only: no configuration at install.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $missing
