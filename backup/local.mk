# backup: see Makefile.am
