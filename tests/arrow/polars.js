// polars.js PATH: with the nodejs-polars package (Polars, an implementation of Arrow independent
// of flowc's and of apache-arrow's), a frame of Int64, Float64, Boolean, nullable strings (short
// ones inside their views, long ones in data buffers) and List<Int64> columns written as Arrow
// IPC files three ways: PATH.plain.arrow, PATH.lz4.arrow and PATH.zstd.arrow (compressed
// buffers). Polars writes strings as Utf8View and lists as LargeList.
const pl = require('nodejs-polars');
const path = process.argv[2];
const n = 50000;
const r = (f) => Array.from({length: n}, (_, i) => f(i));
const df = pl.DataFrame([
    pl.Series('id', r((i) => i * 7), pl.Int64),
    pl.Series('x', r((i) => i / 16), pl.Float64),
    pl.Series('ok', r((i) => i % 3 === 0), pl.Bool),
    pl.Series('s', r((i) => (i % 9 ? (i % 2 ? 'short' + (i % 100) : 'a longer string, ' + i + ', é') : null)), pl.Utf8),
    pl.Series('l', r((i) => r0(i % 4).map((k) => k * i)), pl.List(pl.Int64)),
]);
function r0(m) { return Array.from({length: m}, (_, k) => k); }
df.writeIPC(path + '.plain.arrow', {compression: 'uncompressed'});
df.writeIPC(path + '.lz4.arrow', {compression: 'lz4'});
df.writeIPC(path + '.zstd.arrow', {compression: 'zstd'});
