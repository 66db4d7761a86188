#!/usr/bin/perl
# Reads the exit-code table out of one of the places that hold a copy of it, and prints
# it as "CODE<TAB>MEANING" lines (whitespace collapsed, no final period), so that
# tests/cli/t0002-exit-codes-doc.sh can compare every copy with lib/base/bf_exit.h.
#
#   exit-table.pl header lib/base/bf_exit.h    the enum: "BF_X = N, /* meaning */"
#   exit-table.pl short lib/base/bf_exit.h     the short meanings (see man)
#   exit-table.pl enum lib/base/bf_exit.h      its constants, "BF_X<TAB>N"
#   exit-table.pl names lib/base/bf_exit.c     the constants bf_exit_name() has a case for
#   exit-table.pl help < output-of---help      the "Exit status:" lines of --help
#   exit-table.pl markdown FILE                the table under the "Exit status" heading
#                                              (README.md) or "## 4." (docs/DESIGN.md)
#   exit-table.pl man HEADER PAGE              a man page's EXIT STATUS: for each entry
#                                              "CODE<TAB>SHORT" when it begins with the
#                                              short meaning of CODE in HEADER (its text
#                                              up to the first ',' or '('), or says "not
#                                              used by <the page's tool>"; else
#                                              "CODE<TAB>? <the entry's text>"
#
# Exits 2 when the table is not found at all.
use strict;
use warnings;

sub norm {
	my ($s) = @_;
	$s =~ s/\s+/ /g;
	$s =~ s/^ //;
	$s =~ s/ $//;
	$s =~ s/\.$//;
	return $s;
}

sub slurp {
	my ($file) = @_;
	open(my $fh, '<', $file) or die "exit-table.pl: $file: $!\n";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

sub header_rows {
	my ($file) = @_;
	my @rows;
	for my $line (split /\n/, slurp($file)) {
		if ($line =~ /^\s*(BF_\w+)\s*=\s*(\d+)\s*,\s*\/\*\s*(.*?)\s*\*\/\s*$/) {
			push @rows, [$2, norm($3), $1];
		} elsif ($line =~ /^\s*BF_\w+\s*=/) {
			die "exit-table.pl: $file: a code without its meaning on the same line: $line\n";
		}
	}
	return @rows;
}

sub short_meaning {
	my ($m) = @_;
	$m =~ s/\s*[,(].*//;
	return $m;
}

# Roff text to plain text: font changes, escapes, and the arguments of font macros.
sub deroff {
	my ($line) = @_;
	if ($line =~ /^\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\s+(.*)$/) {
		my ($macro, $args) = ($1, $2);
		my @words = ($args =~ /"((?:[^"]|"")*)"|(\S+)/g);
		@words = grep { defined } @words;
		$line = length($macro) == 1 ? join(' ', @words) : join('', @words);
	} elsif ($line =~ /^\./) {
		return undef;
	}
	$line =~ s/\\f[BIRP]//g;
	$line =~ s/\\f\(\w\w//g;
	$line =~ s/\\-/-/g;
	$line =~ s/\\\(lq|\\\(rq/"/g;
	$line =~ s/\\&//g;
	$line =~ s/\\e/\\/g;
	return $line;
}

# Entries of a man page's EXIT STATUS section: [code, text].
sub man_entries {
	my ($file) = @_;
	my @lines = split /\n/, slurp($file);
	my ($in, $tbl, $tbl_body, $tp, @out) = (0, 0, 0, 0);
	for my $line (@lines) {
		if ($line =~ /^\.SH\s+"?([^"]*)"?/) {
			last if $in;
			$in = $1 =~ /^EXIT STATUS$/;
			next;
		}
		next unless $in;
		if ($line =~ /^\.TS/) { ($tbl, $tbl_body) = (1, 0); next; }
		if ($line =~ /^\.TE/) { $tbl = 0; next; }
		if ($tbl) {
			if (!$tbl_body) {       # options and format lines end with '.'
				$tbl_body = 1 if $line =~ /\.\s*$/;
				next;
			}
			if ($line =~ /^(\d+)\t(.*)$/) {
				push @out, [$1, deroff($2)];
			} elsif ($line =~ /^\t(.*)$/ && @out) {
				$out[-1][1] .= ' ' . deroff($1);
			}
			next;
		}
		if ($line =~ /^\.TP/) { $tp = 1; next; }
		if ($line =~ /^\.(PP|P|LP|SH|SS)\b/) { $tp = 0; next; }
		if ($tp == 1) {
			my $tag = deroff($line);
			if (defined $tag && $tag =~ /^\s*(\d+)\s*$/) {
				push @out, [$1, ''];
				$tp = 2;
			} else {
				$tp = 0;
			}
			next;
		}
		if ($tp == 2) {
			my $text = deroff($line);
			$out[-1][1] .= ' ' . $text if defined $text;
		}
	}
	return map { [$_->[0], norm($_->[1])] } @out;
}

sub markdown_rows {
	my ($file) = @_;
	my ($in, @rows) = (0);
	for my $line (split /\n/, slurp($file)) {
		if ($line =~ /^#+\s+(.*)/) {
			last if $in && @rows;
			$in = $1 =~ /^Exit status\b/i || $1 =~ /^4\.\s/;
			next;
		}
		next unless $in;
		if ($line =~ /^\|\s*(\d+)\s*\|\s*([^|]*?)\s*\|/) {
			push @rows, [$1, norm($2)];
		} elsif (@rows && $line !~ /^\|/) {
			last;
		}
	}
	return @rows;
}

sub help_rows {
	my ($in, @rows) = (0);
	while (my $line = <STDIN>) {
		chomp $line;
		if ($line =~ /^Exit status:/) { $in = 1; next; }
		next unless $in;
		last unless $line =~ /^\s+(\d+)\s+(.*)$/;
		push @rows, [$1, norm($2)];
	}
	return @rows;
}

my $mode = shift @ARGV // '';
my @rows;
if ($mode eq 'header') {
	@rows = header_rows($ARGV[0]);
} elsif ($mode eq 'short') {
	@rows = map { [$_->[0], short_meaning($_->[1])] } header_rows($ARGV[0]);
} elsif ($mode eq 'enum') {
	print "$_->[2]\t$_->[0]\n" for header_rows($ARGV[0]);
	exit 0;
} elsif ($mode eq 'names') {
	my @names = (slurp($ARGV[0]) =~ /case\s+(BF_\w+)\s*:\s*return\s+"/g);
	die "exit-table.pl: $ARGV[0]: no case BF_...: return \"...\" found\n" unless @names;
	print "$_\n" for sort @names;
	exit 0;
} elsif ($mode eq 'help') {
	@rows = help_rows();
} elsif ($mode eq 'markdown') {
	@rows = markdown_rows($ARGV[0]);
} elsif ($mode eq 'man') {
	my %short = map { $_->[0] => short_meaning($_->[1]) } header_rows($ARGV[0]);
	(my $prog = $ARGV[1]) =~ s{^.*/|\.\d$}{}g;
	for my $e (man_entries($ARGV[1])) {
		my ($code, $text) = @$e;
		my $s = $short{$code};
		if ((defined $s && $text =~ /^\Q$s\E(?:\W|$)/) || $text =~ /^not used by \Q$prog\E\b/) {
			push @rows, [$code, $s];
		} else {
			push @rows, [$code, "? $text"];
		}
	}
} else {
	die "usage: exit-table.pl header|short|enum|names|help|markdown|man ...\n";
}
exit 2 unless @rows;
print "$_->[0]\t$_->[1]\n" for @rows;
