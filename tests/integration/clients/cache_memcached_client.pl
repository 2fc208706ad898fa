#!/usr/bin/perl
# Perl Cache::Memcached, untouched, against a server on 127.0.0.1:PORT.
#
# Usage: cache_memcached_client.pl PORT
# A hash reference is stored with Storable and marked by flags; get thaws it
# only if the server returns those flags. Prints one line per check and exits
# 1 if any check failed.
use strict;
use warnings;
use Cache::Memcached;
use Data::Dumper;

$Data::Dumper::Sortkeys = 1;
$Data::Dumper::Indent = 0;
$Data::Dumper::Terse = 1;

# Numbers are compared as the strings the server sends back.
my $port = shift or die "usage: $0 PORT\n";
my $failures = 0;

sub check {
  my ($what, $got, $want) = @_;
  my $g = Dumper($got);
  my $w = Dumper($want);
  my $ok = $g eq $w;
  $failures++ unless $ok;
  printf "%s %s: got %s, want %s\n", ($ok ? "ok  " : "FAIL"), $what, $g, $w;
}

my $mc = Cache::Memcached->new({servers => ["127.0.0.1:$port"]});

check("set scalar", $mc->set("pl:scalar", "perl value") ? 1 : 0, 1);
check("get scalar", $mc->get("pl:scalar"), "perl value");
my $hash = {name => "tt", list => [1, 2, 3], nested => {a => "b"}};
check("set hashref", $mc->set("pl:hash", $hash) ? 1 : 0, 1);
check("get hashref", $mc->get("pl:hash"), $hash);
check("get missing", $mc->get("pl:missing"), undef);

check("set counter", $mc->set("pl:counter", 10) ? 1 : 0, 1);
check("incr", $mc->incr("pl:counter", 5), "15");
check("decr", $mc->decr("pl:counter", 3), "12");
check("incr missing", $mc->incr("pl:nocounter", 1), undef);

check("get_multi", $mc->get_multi("pl:scalar", "pl:missing", "pl:counter"),
      {"pl:scalar" => "perl value", "pl:counter" => "12"});

check("delete existing", $mc->delete("pl:hash") ? 1 : 0, 1);
check("get deleted", $mc->get("pl:hash"), undef);
check("delete missing", $mc->delete("pl:hash") ? 1 : 0, 0);

$mc->disconnect_all;
print "$failures failure(s)\n";
exit($failures ? 1 : 0);
