#!/usr/bin/perl
# A tiny web dyno with no dependencies beyond Debian's base image (perl-base is always there), so
# the example builds in seconds and offline. It listens on $PORT and says which dyno answered.
use strict;
use warnings;
use IO::Socket::INET;

my $port = $ENV{PORT} or die "PORT is not set: this process must run as a web dyno\n";
my $dyno = $ENV{DYNO} // "unknown";
my $greeting = $ENV{GREETING} // "Hello";
$SIG{TERM} = sub { print STDERR "$dyno: SIGTERM received, shutting down\n"; exit 0 };
$| = 1;

my $server = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => $port, Listen => 128, ReuseAddr => 1)
  or die "cannot listen on $port: $!\n";
print "$dyno listening on port $port\n";

while (my $client = $server->accept) {
  my $request = <$client> // next;
  my ($method, $path) = split / /, $request;
  my @headers;
  while (my $line = <$client>) {
    last if $line =~ /^\r?\n$/;
    $line =~ s/\r?\n$//;
    push @headers, $line;
  }
  my $body = $path eq "/headers" ? join("\n", @headers) . "\n" : "$greeting from $dyno\n";
  print $client "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $client;
  print "$method $path -> 200\n";
}
