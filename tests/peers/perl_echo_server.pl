#!/usr/bin/env perl
# An echo server built on the seed library, Perl's Protocol::WebSocket
# (Handshake::Server + Frame), for the interoperability tests of
# tests/integration/seed_test.ts.
#
# It listens on 127.0.0.1, on a free port that it prints on the first line
# of stdout, and serves any number of clients at once (IO::Select). It
# answers each of the four versions as the seed tells them apart
# (Sec-WebSocket-Key1/Key2: draft-ietf-hybi-00; Sec-WebSocket-Key with
# version 13: RFC 6455, any other version: draft-ietf-hybi-10; no key:
# draft-hixie-75), echoes text as text and binary as binary, answers a
# ping with a pong, echoes a close frame (RFC 6455 framing) or answers
# 0xFF 0x00 with 0xFF 0x00 (hybi-00), then closes the TCP connection; a
# client's end of stream closes it too (hixie-75 has no close frame).
#
# A request to a path containing "split" gets its hybi-00 answer in two
# writes 50 ms apart: the head, then the 16-byte answer, as the seed sends
# it when key3 comes late (its "HAProxy mode").
#
# Limits of the seed, kept here: frames over 65536 bytes are refused (its
# default max_payload_size), fragmented messages of more than 128 frames
# fail, no subprotocol is ever selected, no extension is accepted.
#
# The server exits when its stdin closes, so a test that dies leaves no
# process behind.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Protocol::WebSocket::Frame;
use Protocol::WebSocket::Handshake::Server;

$| = 1;

my $listener = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1',
    LocalPort => 0,
    Listen    => 16,
    ReuseAddr => 1,
) or die "Cannot listen: $!\n";
print $listener->sockport, "\n";

my $select = IO::Select->new($listener, \*STDIN);
my %connections;    # fileno => { socket, handshake, frame, partial }

sub write_all {
    my ($socket, $bytes) = @_;
    while (length $bytes) {
        my $written = syswrite($socket, $bytes);
        return unless defined $written;
        substr($bytes, 0, $written, '');
    }
}

sub drop {
    my ($connection) = @_;
    my $socket = $connection->{socket};
    delete $connections{ fileno $socket };
    $select->remove($socket);
    close $socket;
}

sub is_legacy {
    my ($version) = @_;
    return $version eq 'draft-ietf-hybi-00' || $version eq 'draft-hixie-75';
}

sub handshake {
    my ($connection, $chunk) = @_;
    my $hs = $connection->{handshake};
    # parse() consumes the chunk and, once done, leaves the bytes after the request in it.
    unless ($hs->parse($chunk)) {
        write_all($connection->{socket},
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        drop($connection);
        return;
    }
    if ($hs->is_body && !$connection->{partial}) {
        # hybi-00 without key3 yet: the seed answers the head now (to_string
        # remembers it and later returns only the 16-byte answer).
        write_all($connection->{socket}, $hs->to_string);
        $connection->{partial} = 1;
        return;
    }
    return unless $hs->is_done;
    my $response = $hs->to_string;
    if ($hs->version eq 'draft-ietf-hybi-00' && !$connection->{partial}
        && $hs->req->resource_name =~ /split/)
    {
        write_all($connection->{socket}, substr($response, 0, -16));
        select(undef, undef, undef, 0.05);
        write_all($connection->{socket}, substr($response, -16));
    }
    else {
        write_all($connection->{socket}, $response);
    }
    $connection->{frame} = $hs->build_frame;
    frames($connection, $chunk) if length $chunk;
}

sub frames {
    my ($connection, $chunk) = @_;
    my $hs    = $connection->{handshake};
    my $frame = $connection->{frame};
    my $legacy = is_legacy($hs->version);
    $frame->append($chunk);
    while (1) {
        my $bytes = eval { $frame->next_bytes };
        if ($@) {
            drop($connection);
            return;
        }
        last unless defined $bytes;
        if ($frame->is_close) {
            if ($legacy) {
                write_all($connection->{socket}, "\xff\x00");
            }
            else {
                write_all($connection->{socket},
                    $hs->build_frame(type => 'close', buffer => $bytes)->to_bytes);
            }
            drop($connection);
            return;
        }
        if (!$legacy && $frame->is_ping) {
            write_all($connection->{socket},
                $hs->build_frame(type => 'pong', buffer => $bytes)->to_bytes);
            next;
        }
        next if !$legacy && $frame->is_pong;
        my $type = !$legacy && $frame->is_binary ? 'binary' : 'text';
        write_all($connection->{socket},
            $hs->build_frame(type => $type, buffer => $bytes)->to_bytes);
    }
}

while (1) {
    for my $handle ($select->can_read) {
        if ($handle == \*STDIN) {
            my $read = sysread(STDIN, my $ignored, 1024);
            exit 0 unless $read;
            next;
        }
        if ($handle == $listener) {
            my $socket = $listener->accept or next;
            $select->add($socket);
            $connections{ fileno $socket } = {
                socket    => $socket,
                handshake => Protocol::WebSocket::Handshake::Server->new,
            };
            next;
        }
        my $connection = $connections{ fileno $handle } or next;
        my $read = sysread($handle, my $chunk, 65536);
        if (!$read) {
            drop($connection);
            next;
        }
        if ($connection->{frame}) {
            frames($connection, $chunk);
        }
        else {
            handshake($connection, $chunk);
        }
    }
}
