#!/bin/sh
# usage-man.sh PROGRAM HELP-OPTION SUMMARY: prints a section 8 man page made
# from the program's own usage text (printed with HELP-OPTION), so that the
# page cannot drift from the program. plexichat-admin makes its own page.
set -e
prog=$1 opt=$2 summary=$3
name=$(basename "$prog")
text=$("$prog" "$opt" 2>&1 || true)
[ -n "$text" ] || { echo "usage-man.sh: $prog $opt printed nothing" >&2; exit 1; }
upper=$(echo "$name" | tr 'a-z.' 'A-Z.')
printf '.TH %s 8 "%s" "plexichat" "System administration"\n' "$upper" "$(dpkg-parsechangelog -S Date | date -u -f - +%Y-%m-%d)"
printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
printf '.SH SYNOPSIS AND OPTIONS\n.nf\n'
# roff: a backslash is \e; a line starting with . or ' is protected by \&
echo "$text" | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
printf '.fi\n.SH FILES\n.I /etc/plexichat/plexichat.conf\n(PLEXICHAT_CONFIG in the systemd units and the cron file)\n'
printf '.SH SEE ALSO\n.BR plexichat-admin (8),\n.BR plexichat-setup (8),\n'
printf '/usr/share/doc/plexichat/\n'
