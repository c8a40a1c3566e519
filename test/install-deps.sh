#!/bin/sh
# Installs the Debian packages named on the command line that are not installed yet.
# Does nothing (and needs no network) when every one is already there.
missing=""
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $pkg" ;; esac
done
[ -z "$missing" ] && exit 0
echo "installing missing packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq || exit 1
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing || exit 1
