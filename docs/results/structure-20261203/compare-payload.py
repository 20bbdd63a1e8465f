#!/usr/bin/env python3
"""compare-payload.py A B: compare the variables of two model-weights.bin (or checkpoint.bin) files byte for byte,
whatever their layout: AIRBENCH-CHECKPOINT-1 (magic, JSON header, variables, END) or -2 (magic, file length, JSON
header, variables, END, CRC32C). The headers may differ (layout 2 adds fields); the variables must not.
Prints IDENTICAL or DIFFERENT with the first differing variable; exit 1 on a difference."""
import struct, sys, zlib

def variables(path):
    data = open(path, 'rb').read()
    pos = 0
    n = struct.unpack_from('>H', data, pos)[0]; magic = data[pos + 2:pos + 2 + n].decode(); pos += 2 + n
    end = len(data)
    if magic.endswith('-2'):
        length = struct.unpack_from('>q', data, pos)[0]; pos += 8
        assert length == len(data), f'{path}: length field {length}, file {len(data)}'
        end -= 4
    elif not magic.endswith('-1'):
        raise SystemExit(f'{path}: unknown layout {magic!r}')
    json_len = struct.unpack_from('>i', data, pos)[0]; pos += 4 + json_len
    count = struct.unpack_from('>i', data, pos)[0]; pos += 4
    out = {}
    for _ in range(count):
        n = struct.unpack_from('>H', data, pos)[0]; name = data[pos + 2:pos + 2 + n].decode(); pos += 2 + n
        k = struct.unpack_from('>i', data, pos)[0]; pos += 4
        out[name] = data[pos:pos + 4 * k]; pos += 4 * k
    n = struct.unpack_from('>H', data, pos)[0]; assert data[pos + 2:pos + 2 + n] == b'END', path
    return magic, out

ma, a = variables(sys.argv[1]); mb, b = variables(sys.argv[2])
if list(a) != list(b):
    print(f'DIFFERENT variable names ({ma} vs {mb})'); sys.exit(1)
for name in a:
    if a[name] != b[name]:
        print(f'DIFFERENT at {name} ({ma} vs {mb})'); sys.exit(1)
print(f'IDENTICAL ({len(a)} variables, {sum(len(v) for v in a.values()) // 4} floats; {ma} vs {mb})')
