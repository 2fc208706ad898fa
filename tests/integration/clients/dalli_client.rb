#!/usr/bin/ruby
# frozen_string_literal: true

# Ruby Dalli (Debian's ruby-dalli 3.0), untouched, against a server on
# 127.0.0.1:PORT. Dalli 3.0 speaks only the memcached binary protocol.
#
# Usage: dalli_client.rb PORT
# Dalli's default serializer, Marshal, marks what it stores with flags bit 0
# and unmarshals on get only if the server returns that bit; values stored
# with raw: true (and counters) come back as plain strings. Prints one line per
# check and exits 1 if any check failed. An exception inside a check is that
# check's result (its class and message), so one error does not end the run.
require 'dalli'

port = Integer(ARGV.fetch(0) { abort "usage: #{$PROGRAM_NAME} PORT" })
$failures = 0

def check(what, want)
  got = begin
    yield
  rescue StandardError => e
    "#{e.class}: #{e.message}"
  end
  ok = got == want
  $failures += 1 unless ok
  printf("%s %s: got %p, want %p\n", ok ? 'ok  ' : 'FAIL', what, got, want)
end

dc = Dalli::Client.new("127.0.0.1:#{port}")

# Types round-trip through Marshal and the flags.
hash = { 'name' => 'tt', 'list' => [1, 2, 3], 'nested' => { sym: :x } }
check('set string', true) { dc.set('rb:str', "h\u00e9llo \x00 bytes").is_a?(Integer) }
check('set integer', true) { dc.set('rb:int', 42).is_a?(Integer) }
check('set hash', true) { dc.set('rb:hash', hash).is_a?(Integer) }
check('get string', "h\u00e9llo \x00 bytes") { dc.get('rb:str') }
check('get integer', 42) { dc.get('rb:int') }
check('get hash', hash) { dc.get('rb:hash') }
check('get missing', nil) { dc.get('rb:missing') }
# Over 4 KiB Dalli compresses too (flags bit 1).
big = 'compressible ' * 10_000
check('set big', true) { dc.set('rb:big', big).is_a?(Integer) }
check('get big equal', true) { dc.get('rb:big') == big }

# get_multi (getkq ... noop) returns only the keys that exist.
check('get_multi', { 'rb:str' => "h\u00e9llo \x00 bytes", 'rb:int' => 42 }) do
  dc.get_multi('rb:str', 'rb:missing', 'rb:int')
end

# add / replace.
check('add existing', false) { dc.add('rb:int', 1) }
check('get after failed add', 42) { dc.get('rb:int') }
check('add new', true) { dc.add('rb:added', 'new').is_a?(Integer) }
check('get added', 'new') { dc.get('rb:added') }
check('replace existing', true) { dc.replace('rb:added', [:replaced]).is_a?(Integer) }
check('get replaced', [:replaced]) { dc.get('rb:added') }
# Dalli 3.0 returns the cas field of a Key-not-found response (0) here.
check('replace missing', 0) { dc.replace('rb:nothere', 'x') }
check('get after failed replace', nil) { dc.get('rb:nothere') }

# append / prepend work on raw values.
check('set raw', true) { dc.set('rb:raw', 'middle', nil, raw: true).is_a?(Integer) }
check('append', true) { dc.append('rb:raw', '>') }
check('prepend', true) { dc.prepend('rb:raw', '<') }
check('get appended', '<middle>') { dc.get('rb:raw') }
check('append missing', false) { dc.append('rb:nothere', 'x') }

# incr / decr: an initial value creates the counter (and is what comes back);
# without one a missing counter is nil; decr clamps at 0.
check('incr creates', 10) { dc.incr('rb:counter', 1, nil, 10) }
check('incr', 15) { dc.incr('rb:counter', 5) }
check('decr', 12) { dc.decr('rb:counter', 3) }
check('get counter', '12') { dc.get('rb:counter') }
check('decr clamps', 0) { dc.decr('rb:counter', 100) }
check('incr missing', nil) { dc.incr('rb:nocounter', 1) }
check('decr creates', 3) { dc.decr('rb:decounter', 1, nil, 3) }
check('incr raw number', 101) do
  dc.set('rb:rawnum', '100', nil, raw: true)
  dc.incr('rb:rawnum', 1)
end
check('incr non-numeric', 'Dalli::DalliError: Response error 6: Incr/decr on a non-numeric value') do
  dc.incr('rb:raw', 1)
end
check('large incr', 2**64 - 1) do
  dc.set('rb:big64', (2**64 - 2).to_s, nil, raw: true)
  dc.incr('rb:big64', 1)
end

# cas: the block's result replaces the value under the cas token it read; a
# change in between makes a stale token fail.
check('cas block', true) { dc.cas('rb:int') { |v| v + 1 }.is_a?(Integer) }
check('get after cas', 43) { dc.get('rb:int') }
check('cas missing', nil) { dc.cas('rb:missing') { |v| v } }
token = nil
check('get_cas', [43, true]) do
  value, token = dc.get_cas('rb:int')
  [value, token.is_a?(Integer) && token.positive?]
end
check('concurrent set', true) { dc.set('rb:int', 100).is_a?(Integer) }
check('set_cas stale', false) { dc.set_cas('rb:int', 44, token) }
check('get after stale cas', 100) { dc.get('rb:int') }
new_token = nil
check('set_cas fresh', true) do
  _, token = dc.get_cas('rb:int')
  (new_token = dc.set_cas('rb:int', 101, token)).is_a?(Integer)
end
check('set_cas returns new token', [101, new_token]) { dc.get_cas('rb:int') }
check('set_cas missing (the cas field, 0)', 0) { dc.set_cas('rb:nothere', 1, token) }

# TTLs: set with ttl 1, touch down to 1 s and up to 100 s, then wait 2 s.
check('set ttl 1', true) { dc.set('rb:short', 'gone soon', 1).is_a?(Integer) }
check('set to touch short', true) { dc.set('rb:touch-short', 'x').is_a?(Integer) }
check('set to touch long', true) { dc.set('rb:touch-long', 'y', 1).is_a?(Integer) }
check('touch to 1 s', true) { dc.touch('rb:touch-short', 1) }
check('touch to 100 s', true) { dc.touch('rb:touch-long', 100) }
check('touch missing', nil) { dc.touch('rb:missing', 100) }
check('gat', 'x') { dc.gat('rb:touch-short', 1) }
check('get ttl 1 at once', 'gone soon') { dc.get('rb:short') }
sleep 2
check('ttl 1 after 2 s', nil) { dc.get('rb:short') }
check('touched to 1 s after 2 s', nil) { dc.get('rb:touch-short') }
check('touched to 100 s after 2 s', 'y') { dc.get('rb:touch-long') }

# delete.
check('delete existing', true) { dc.delete('rb:hash') }
check('get deleted', nil) { dc.get('rb:hash') }
check('delete missing', nil) { dc.delete('rb:hash') }

# stats: one hash per server, with memcached's counters.
stats = nil
check('stats', true) do
  stats = dc.stats["127.0.0.1:#{port}"]
  stats.is_a?(Hash)
end
check('stats has cmd_get', true) { stats.is_a?(Hash) && stats['cmd_get'].to_s.match?(/\A\d+\z/) }

# flush empties the server.
check('flush', [true]) { dc.flush }
check('get after flush', nil) { dc.get('rb:int') }
check('get_multi after flush', {}) { dc.get_multi('rb:str', 'rb:raw', 'rb:counter') }
check('set after flush', 'again') do
  dc.set('rb:again', 'again')
  dc.get('rb:again')
end

dc.close
puts "#{$failures} failure(s)"
exit($failures.zero? ? 0 : 1)
