#!/usr/bin/env perl
# A client built on the seed library, Perl's Protocol::WebSocket, for the
# interoperability tests of tests/integration/seed_test.ts.
#
#   perl perl_client.pl URL VERSION HEX...
#
# VERSION is rfc6455, hybi-10, hybi-00 or hixie-75. The client opens the
# connection, sends each HEX argument as a text message (one at a time,
# waiting for its echo), closes, and waits for the server to end the
# stream. It prints one line per step on stdout:
#
#   open
#   message <hex of the UTF-8 bytes>
#   closing            (the server's close frame or 0xFF 0x00 arrived)
#   closed             (the server ended the stream)
#   error <text>       (then exits 1)
#
# rfc6455 uses Protocol::WebSocket::Client. The other versions use
# Protocol::WebSocket::Handshake::Client and Frame directly: the seed's
# Client passes no version to its handshake, so it always sends an
# RFC 6455 request, whatever its `version` option says.

use strict;
use warnings;

use Encode ();
use IO::Socket::INET;
use Protocol::WebSocket::Client;
use Protocol::WebSocket::Frame;
use Protocol::WebSocket::Handshake::Client;
use Protocol::WebSocket::URL;

$| = 1;

my ($url, $version, @messages) = @ARGV;
die "usage: perl_client.pl URL VERSION HEX...\n" unless defined $version;
@messages = map { pack 'H*', $_ } @messages;

my %VERSION_NAMES = (
    'rfc6455'  => 'draft-ietf-hybi-17',
    'hybi-10'  => 'draft-ietf-hybi-10',
    'hybi-00'  => 'draft-ietf-hybi-00',
    'hixie-75' => 'draft-hixie-75',
);
my $version_name = $VERSION_NAMES{$version} or die "unknown version $version\n";

my $parsed = Protocol::WebSocket::URL->new->parse($url) or die "cannot parse $url\n";
my $socket = IO::Socket::INET->new(PeerAddr => $parsed->host, PeerPort => $parsed->port)
  or fail("cannot connect: $!");

# Give up after 5 s whatever happens.
$SIG{ALRM} = sub { fail('timeout') };
alarm 5;

sub fail {
    print "error $_[0]\n";
    exit 1;
}

sub write_all {
    my ($bytes) = @_;
    while (length $bytes) {
        my $written = syswrite($socket, $bytes);
        fail("write: $!") unless defined $written;
        substr($bytes, 0, $written, '');
    }
}

sub read_chunk {
    my $read = sysread($socket, my $chunk, 65536);
    fail("read: $!") unless defined $read;
    return $read ? $chunk : undef;
}

if ($version eq 'rfc6455') {
    my @received;
    my $client = Protocol::WebSocket::Client->new(url => $url);
    $client->on(write   => sub { write_all($_[1]) });
    $client->on(connect => sub { print "open\n" });
    $client->on(error   => sub { fail($_[1]) });
    # on_read gets decoded text; it never sees empty messages (a seed quirk).
    $client->on(read => sub { push @received, Encode::encode('UTF-8', $_[1]) });
    $client->connect;
    for my $message (@messages) {
        $client->write(Encode::decode('UTF-8', $message));
        while (!@received) {
            my $chunk = read_chunk();
            fail('the server ended the stream') unless defined $chunk;
            $client->read($chunk);
        }
        print 'message ', unpack('H*', shift @received), "\n";
    }
    $client->disconnect;
    while (defined(my $chunk = read_chunk())) {
        $client->read($chunk);
    }
    print "closed\n";
    exit 0;
}

my $hs = Protocol::WebSocket::Handshake::Client->new(url => $url, version => $version_name);
write_all($hs->to_string);
my $leftover = '';
until ($hs->is_done) {
    my $chunk = read_chunk();
    fail('the server ended the stream during the handshake') unless defined $chunk;
    fail($hs->error) unless $hs->parse($chunk);
    $leftover = $chunk if $hs->is_done;
}
print "open\n";
my $frame = $hs->build_frame;
$frame->append($leftover);
my $legacy = $version eq 'hybi-00' || $version eq 'hixie-75';

# Reads frames until a message arrives; returns undef at a close or the end of stream.
sub next_message {
    while (1) {
        my $bytes = $frame->next_bytes;
        if (defined $bytes) {
            if ($frame->is_close) {
                print "closing\n";
                return undef;
            }
            next if !$legacy && ($frame->is_ping || $frame->is_pong);
            return $bytes;
        }
        my $chunk = read_chunk();
        return undef unless defined $chunk;
        $frame->append($chunk);
    }
}

for my $message (@messages) {
    write_all($hs->build_frame(buffer => $message)->to_bytes);
    my $echo = next_message();
    fail('no echo') unless defined $echo;
    print 'message ', unpack('H*', $echo), "\n";
}

if ($version eq 'hixie-75') {
    shutdown($socket, 1);    # hixie-75 closes by ending the stream
}
elsif ($version eq 'hybi-00') {
    write_all($hs->build_frame(type => 'close')->to_bytes);    # 0xFF 0x00
}
else {
    write_all($hs->build_frame(type => 'close', buffer => pack('n', 1000))->to_bytes);
}
1 while defined next_message();
1 while defined read_chunk();
print "closed\n";
exit 0;
