//! The two bulk paths the importer could take, measured on RocksDB
//! directly: 3,000,000 adjacency-shaped entries in random order into one
//! column family, as WAL-less write batches of 100,000 then a flush, or as
//! one sorted file (SST) written and ingested. Prints both times and
//! checks both stored the same data. The importer writes SST files
//! (`src/import/bulk.rs`); `docs/BENCHMARKS.md` ("Import") quotes this.
//!
//! `cargo bench --bench storage_paths`

#![allow(
    clippy::unwrap_used,
    clippy::many_single_char_names,
    missing_docs,
    reason = "bench code: a panic is the failure report"
)]

use rocksdb::{DB, Options, SstFileWriter, WriteBatch, WriteOptions};

const N: u64 = 3_000_000;

fn main() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let entries: Vec<([u8; 28], [u8; 12])> = (0..N)
        .map(|e| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut k = [0u8; 28];
            k[..8].copy_from_slice(&(state % 1_000_000).to_be_bytes());
            k[12..20].copy_from_slice(&((state >> 20) % 1_000_000).to_be_bytes());
            k[20..].copy_from_slice(&e.to_be_bytes());
            let mut v = [0u8; 12];
            v[4..].copy_from_slice(&((e % 10) as f64).to_bits().to_be_bytes());
            (k, v)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.set_compression_type(rocksdb::DBCompressionType::Lz4);

    let a = DB::open(&opts, dir.path().join("batches")).unwrap();
    let t = std::time::Instant::now();
    for part in entries.chunks(100_000) {
        let mut batch = WriteBatch::default();
        for (k, v) in part {
            batch.put(k, v);
        }
        let mut wo = WriteOptions::default();
        wo.disable_wal(true);
        a.write_opt(batch, &wo).unwrap();
    }
    a.flush().unwrap();
    let batches = t.elapsed();

    let b = DB::open(&opts, dir.path().join("sst")).unwrap();
    let t = std::time::Instant::now();
    let mut sorted = entries.clone();
    sorted.sort_unstable();
    let file = dir.path().join("out.sst");
    let mut sst_opts = Options::default();
    sst_opts.set_compression_type(rocksdb::DBCompressionType::None);
    let mut w = SstFileWriter::create(&sst_opts);
    w.open(&file).unwrap();
    for (k, v) in &sorted {
        w.put(k, v).unwrap();
    }
    w.finish().unwrap();
    b.ingest_external_file(vec![file]).unwrap();
    let sst = t.elapsed();
    println!("{N} entries: WAL-less batches + flush {batches:?}, sort + SST + ingest {sst:?}");

    let (mut ia, mut ib) = (a.raw_iterator(), b.raw_iterator());
    ia.seek_to_first();
    ib.seek_to_first();
    let mut n = 0;
    while ia.valid() {
        assert_eq!((ia.key(), ia.value()), (ib.key(), ib.value()));
        ia.next();
        ib.next();
        n += 1;
    }
    assert!(!ib.valid());
    assert_eq!(n, N);
}
