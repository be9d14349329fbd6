// js.js MODE PATH: with the apache-arrow package (an implementation of Arrow independent of
// flowc's). write: a table of Int64, Int16, Float64, nullable Utf8 and List<Int64> columns,
// as an IPC file at PATH and as a stream at PATH + "s"; write-large: Int64, a nullable
// LargeUtf8, a LargeBinary (64-bit offsets) and two dictionary-encoded Utf8 columns (Int32
// indices with nulls, Int8 indices), as a file at PATH and a stream at PATH + "s". dump: the rows of the IPC file or
// stream at PATH as JSON lines (BigInt as numbers, binary as arrays of bytes), the schema first.
const a = require('apache-arrow');
const fs = require('fs');
const [mode, path] = process.argv.slice(2);
if (mode === 'write') {
    const n = 1000;
    const t = new a.Table({
        id: a.vectorFromArray(Array.from({length: n}, (_, i) => BigInt(i)), new a.Int64),
        small: a.vectorFromArray(Array.from({length: n}, (_, i) => i % 100 - 50), new a.Int16),
        x: a.vectorFromArray(Array.from({length: n}, (_, i) => i / 8), new a.Float64),
        s: a.vectorFromArray(Array.from({length: n}, (_, i) => i % 7 ? 's' + i : null), new a.Utf8),
        l: a.vectorFromArray(Array.from({length: n}, (_, i) => Array.from({length: i % 4}, (_, k) => BigInt(k * i))),
                             new a.List(new a.Field('item', new a.Int64, true))),
    });
    fs.writeFileSync(path, a.tableToIPC(t, 'file'));
    fs.writeFileSync(path + 's', a.tableToIPC(t, 'stream'));
} else if (mode === 'write-large') {
    const n = 1000, enc = new TextEncoder();
    const t = new a.Table({
        id: a.vectorFromArray(Array.from({length: n}, (_, i) => BigInt(i)), new a.Int64),
        s: a.vectorFromArray(Array.from({length: n}, (_, i) => i % 3 ? 'w' + 'é'.repeat(i % 5) + i : null), new a.LargeUtf8),
        b: a.vectorFromArray(Array.from({length: n}, (_, i) => enc.encode('b' + i)), new a.LargeBinary),
        d: a.vectorFromArray(Array.from({length: n}, (_, i) => i % 11 ? ['red', 'green', 'blué'][i % 3] : null),
                             new a.Dictionary(new a.Utf8, new a.Int32)),
        e: a.vectorFromArray(Array.from({length: n}, (_, i) => 'k' + (i % 5)), new a.Dictionary(new a.Utf8, new a.Int8)),
    });
    fs.writeFileSync(path, a.tableToIPC(t, 'file'));
    fs.writeFileSync(path + 's', a.tableToIPC(t, 'stream'));
} else {
    const t = a.tableFromIPC(fs.readFileSync(path === '-' ? 0 : path));
    console.log(JSON.stringify(t.schema.fields.map(f => [f.name, String(f.type), f.nullable])));
    const conv = (k, v) => typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? Array.from(v) : v;
    for (const r of t.toArray())
        console.log(JSON.stringify(r.toJSON(), conv));
}
