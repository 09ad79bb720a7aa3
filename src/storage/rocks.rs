//! The RocksDB backend: the only module that names `rocksdb`.
//!
//! It opens the column families of [`schema::COLUMN_FAMILIES`] with the
//! options their [`Tuning`] asks for, and serves [`KvRead`] for the live
//! database and for snapshots, and atomic batch writes of [`Changes`].

use std::path::{Path, PathBuf};

use rocksdb::{
    BlockBasedIndexType, BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB,
    DBCompressionType, ErrorKind, IngestExternalFileOptions, Options, ReadOptions, SstFileWriter,
    WriteBatch, WriteOptions,
};

use super::schema::{self, Cf, Tuning};
use super::{Changes, Cursor, KvRead, Reads, Visit};
use crate::error::{Error, Result};

/// Backend options derived from the database builder.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Bytes of the block cache shared by all column families.
    pub block_cache_bytes: usize,
}

/// An open RocksDB instance with QuiverDB's column families.
pub struct Store {
    db: DB,
    path: PathBuf,
    /// The options the instance was opened with, whose statistics the
    /// crate's tests read (RocksDB's own count of WAL syncs).
    #[cfg(test)]
    options: Options,
}

fn storage_error(e: rocksdb::Error) -> Error {
    match e.kind() {
        ErrorKind::Corruption => {
            // RocksDB's message names the file and the place.
            let message = format!("RocksDB found damaged data: {}", e.as_ref());
            Error::corruption_from(message, e)
        }
        _ => Error::storage("RocksDB failed", e),
    }
}

fn db_options(opts: &StoreOptions, create: bool) -> Options {
    let mut o = Options::default();
    o.create_if_missing(create);
    o.create_missing_column_families(create);
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    o.increase_parallelism(i32::try_from(threads).unwrap_or(2));
    o.set_keep_log_file_num(2);
    o.set_max_log_file_size(1 << 20);
    o.set_max_total_wal_size(256 << 20);
    o.set_bytes_per_sync(1 << 20);
    o.set_compression_type(DBCompressionType::Lz4);
    let _ = opts;
    o
}

fn cf_options(tuning: Tuning, cache: Option<&Cache>) -> Options {
    let mut o = Options::default();
    o.set_compression_type(DBCompressionType::Lz4);
    let mut table = BlockBasedOptions::default();
    if let Some(cache) = cache {
        table.set_block_cache(cache);
    }
    match tuning {
        Tuning::Small => {}
        Tuning::PointLookup => {
            table.set_bloom_filter(10.0, false);
            // Filters and indexes in partitions of about a block, found
            // through a pinned top level: a whole-file filter of a large
            // table (1.2 MB for a million keys) is bigger than a shard of
            // the block cache, so it was never kept and every lookup read
            // it again from the file.
            table.set_partition_filters(true);
            table.set_index_type(BlockBasedIndexType::TwoLevelIndexSearch);
            table.set_metadata_block_size(4096);
            table.set_cache_index_and_filter_blocks(true);
            table.set_pin_top_level_index_and_filter(true);
            table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        }
        Tuning::Scan => {
            table.set_block_size(16 << 10);
        }
    }
    o.set_block_based_table_factory(&table);
    o
}

impl Store {
    /// Opens (or, with `create`, creates) the RocksDB instance in `path`.
    ///
    /// Without `create`, the instance must already have the `meta` column
    /// family, or the directory is reported as not being a database. Column
    /// families this build does not know (written by a newer build) are
    /// opened with default options so the caller can still read the format
    /// version and refuse cleanly.
    pub fn open(path: &Path, create: bool, opts: &StoreOptions) -> Result<Store> {
        let cache = Cache::new_lru_cache(opts.block_cache_bytes);
        #[allow(unused_mut, reason = "statistics are on in the crate's tests only")]
        let mut db_opts = db_options(opts, create);
        #[cfg(test)]
        db_opts.enable_statistics();
        let mut names: Vec<String> = Cf::names().map(str::to_owned).collect();
        if !create {
            let existing =
                DB::list_cf(&Options::default(), path).map_err(|e| Error::NotADatabase {
                    path: path.to_owned(),
                    reason: format!("cannot read its storage files: {e}"),
                })?;
            if !existing
                .iter()
                .any(|n| n == schema::COLUMN_FAMILIES[0].name)
            {
                return Err(Error::NotADatabase {
                    path: path.to_owned(),
                    reason: "its RocksDB files have no `meta` column family".into(),
                });
            }
            names = existing;
        }
        let descriptors = names.iter().map(|name| {
            let tuning = schema::COLUMN_FAMILIES
                .iter()
                .find(|s| s.name == name)
                .map_or(Tuning::Small, |s| s.tuning);
            ColumnFamilyDescriptor::new(name, cf_options(tuning, Some(&cache)))
        });
        let mut db = DB::open_cf_descriptors(&db_opts, path, descriptors).map_err(storage_error)?;
        // An older database may lack a column family added since; create it.
        for spec in &schema::COLUMN_FAMILIES {
            if db.cf_handle(spec.name).is_none() {
                db.create_cf(spec.name, &cf_options(spec.tuning, Some(&cache)))
                    .map_err(storage_error)?;
            }
        }
        Ok(Store {
            db,
            path: path.to_owned(),
            #[cfg(test)]
            options: db_opts,
        })
    }

    /// How many times RocksDB has synced its write-ahead log since open.
    #[cfg(test)]
    pub fn wal_syncs(&self) -> u64 {
        self.options
            .get_ticker_count(rocksdb::statistics::Ticker::WalFileSynced)
    }

    fn handle(&self, cf: Cf) -> Result<&ColumnFamily> {
        self.db.cf_handle(cf.spec().name).ok_or_else(|| {
            Error::corruption(format!(
                "column family {} is missing in {}",
                cf.spec().name,
                self.path.display()
            ))
        })
    }

    /// Writes `changes` as one atomic batch; `sync` fsyncs the WAL first.
    pub fn write(&self, changes: &Changes, sync: bool) -> Result<()> {
        self.write_with_ranges(changes, &[], sync)
    }

    /// Writes `changes` and deletes every key in each `[start, end)` of
    /// `ranges`, as one atomic batch.
    pub fn write_with_ranges(
        &self,
        changes: &Changes,
        ranges: &[(Cf, Vec<u8>, Vec<u8>)],
        sync: bool,
    ) -> Result<()> {
        // Sized up front: a large batch grown by doubling copies itself
        // and touches fresh memory at every step. Each record costs its
        // bytes plus a tag, a column family id and two length prefixes.
        let bytes = changes.bytes(16);
        let mut batch = WriteBatch::with_capacity_bytes(bytes + 64);
        for (cf, start, end) in ranges {
            batch.delete_range_cf(self.handle(*cf)?, start, end);
        }
        for (cf, key, value) in changes.iter() {
            let h = self.handle(cf)?;
            match value {
                Some(v) => batch.put_cf(h, key, v),
                None => batch.delete_cf(h, key),
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(sync);
        self.db.write_opt(batch, &wo).map_err(storage_error)
    }

    /// Moves the finished sorted files into column family `cf` in one
    /// atomic step. The files must be in this database's file system (they
    /// are renamed, not copied) and sorted; they may overlap each other.
    /// Snapshots taken before do not see their contents.
    pub fn ingest(&self, cf: Cf, files: &[PathBuf]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let mut o = IngestExternalFileOptions::default();
        o.set_move_files(true);
        o.set_snapshot_consistency(true);
        self.db
            .ingest_external_file_cf_opts(self.handle(cf)?, &o, files.to_vec())
            .map_err(storage_error)
    }

    /// How many files column family `cf` has in level 0 (files that
    /// overlap and wait for a compaction).
    #[cfg(test)]
    pub fn files_at_level0(&self, cf: Cf) -> Result<u64> {
        self.db
            .property_int_value_cf(self.handle(cf)?, "rocksdb.num-files-at-level0")
            .map_err(storage_error)
            .map(Option::unwrap_or_default)
    }

    /// Makes every acknowledged write durable by syncing the WAL.
    pub fn sync_wal(&self) -> Result<()> {
        self.db.flush_wal(true).map_err(storage_error)
    }

    /// Makes every acknowledged write durable: syncs the WAL and flushes the
    /// memtables, so a reopen has nothing to replay.
    pub fn flush(&self) -> Result<()> {
        self.db.flush_wal(true).map_err(storage_error)?;
        let handles = schema::COLUMN_FAMILIES
            .iter()
            .map(|s| self.handle(s.cf))
            .collect::<Result<Vec<_>>>()?;
        self.db
            .flush_cfs_opt(&handles, &rocksdb::FlushOptions::default())
            .map_err(storage_error)
    }

    /// Rewrites every column family into its bottom level, dropping
    /// deleted entries: scans then read one sorted run per column family.
    pub fn compact(&self) -> Result<()> {
        for spec in &schema::COLUMN_FAMILIES {
            self.db
                .compact_range_cf(self.handle(spec.cf)?, None::<&[u8]>, None::<&[u8]>);
        }
        // RocksDB's C API drops the status of a manual compaction; one
        // that failed (a full disk) leaves a background error, which
        // waiting for the background work reports. A wait cut short by
        // the timeout (other writers keep scheduling work) found none.
        let mut wait = rocksdb::WaitForCompactOptions::default();
        wait.set_timeout(1_000_000);
        match self.db.wait_for_compact(&wait) {
            Err(e) if e.kind() == ErrorKind::TimedOut => Ok(()),
            other => other.map_err(storage_error),
        }
    }

    /// The sequence number of the newest write: a write made after this
    /// call gets a larger one.
    pub fn latest_sequence_number(&self) -> u64 {
        self.db.latest_sequence_number()
    }

    /// A consistent point-in-time view.
    pub fn snapshot(&self) -> Snapshot<'_> {
        Snapshot {
            store: self,
            snap: self.db.snapshot(),
        }
    }

    /// Total size of the files in the database directory and its folders
    /// (vector index checkpoints, stored projections), in bytes.
    pub fn disk_usage(&self) -> Result<u64> {
        super::files::tree_size(&self.path)
    }

    fn scan_with(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        snapshot: Option<&rocksdb::Snapshot<'_>>,
        bulk: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        let mut ro = ReadOptions::default();
        if let Some(snapshot) = snapshot {
            ro.set_snapshot(snapshot);
        }
        if let Some(end) = end {
            ro.set_iterate_upper_bound(end);
        }
        if bulk {
            // A whole-range scan: read ahead, and do not evict the blocks
            // point reads keep hot.
            ro.fill_cache(false);
            ro.set_readahead_size(4 << 20);
        }
        let mut it = self.db.raw_iterator_cf_opt(self.handle(cf)?, ro);
        walk(&mut it, start, None, visit)
    }
}

/// Seeks `it` to `start` and calls `visit` for each entry from there (those
/// starting with `prefix`, when given) until it returns `false`; counts the
/// seek and the entries passed in this thread's [`Reads`].
fn walk(
    it: &mut rocksdb::DBRawIterator<'_>,
    start: &[u8],
    prefix: Option<&[u8]>,
    visit: &mut Visit<'_>,
) -> Result<()> {
    it.seek(start);
    let mut entries = 0;
    let walked = (|| {
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if prefix.is_some_and(|p| !k.starts_with(p)) {
                return Ok(());
            }
            entries += 1;
            if !visit(k, v)? {
                return Ok(());
            }
            it.next();
        }
        it.status().map_err(storage_error)
    })();
    Reads::count(0, 1, entries);
    walked
}

/// A RocksDB iterator kept open across scans; each scan is one seek.
struct RawCursor<'a> {
    it: rocksdb::DBRawIterator<'a>,
}

impl Cursor for RawCursor<'_> {
    fn scan(&mut self, prefix: &[u8], visit: &mut Visit<'_>) -> Result<()> {
        walk(&mut self.it, prefix, Some(prefix), visit)
    }
}

impl KvRead for Store {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Reads::count(1, 0, 0);
        self.db.get_cf(self.handle(cf)?, key).map_err(storage_error)
    }

    fn scan_range(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.scan_with(cf, start, end, None, false, visit)
    }

    fn scan_bulk(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.scan_with(cf, start, end, None, true, visit)
    }

    fn cursor(&self, cf: Cf) -> Result<Box<dyn Cursor + '_>> {
        let it = self
            .db
            .raw_iterator_cf_opt(self.handle(cf)?, ReadOptions::default());
        Ok(Box::new(RawCursor { it }))
    }
}

/// A consistent point-in-time view of a [`Store`].
pub struct Snapshot<'a> {
    store: &'a Store,
    snap: rocksdb::Snapshot<'a>,
}

impl Snapshot<'_> {
    /// The sequence number of the newest write the snapshot sees.
    pub fn sequence_number(&self) -> u64 {
        self.snap.sequence_number()
    }
}

impl KvRead for Snapshot<'_> {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Reads::count(1, 0, 0);
        self.snap
            .get_cf(self.store.handle(cf)?, key)
            .map_err(storage_error)
    }

    fn scan_range(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.store
            .scan_with(cf, start, end, Some(&self.snap), false, visit)
    }

    fn scan_bulk(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.store
            .scan_with(cf, start, end, Some(&self.snap), true, visit)
    }

    fn cursor(&self, cf: Cf) -> Result<Box<dyn Cursor + '_>> {
        let mut ro = ReadOptions::default();
        ro.set_snapshot(&self.snap);
        let it = self
            .store
            .db
            .raw_iterator_cf_opt(self.store.handle(cf)?, ro);
        Ok(Box::new(RawCursor { it }))
    }
}

self_cell::self_cell!(
    /// A RocksDB SST writer and the options it borrows.
    struct SstCell {
        owner: Options,
        #[not_covariant]
        dependent: SstFileWriter,
    }
);

/// A sorted file of one column family, written outside the database and
/// later handed to [`Store::ingest`]. Keys must be put in strictly
/// increasing order.
pub struct SstWriter {
    cell: SstCell,
    path: PathBuf,
    entries: u64,
}

impl SstWriter {
    /// Creates the file at `path` with the table options of `cf`;
    /// `compress: false` writes it uncompressed (for files that overlap
    /// others and so will be rewritten by a compaction anyway).
    pub fn create(cf: Cf, path: &Path, compress: bool) -> Result<SstWriter> {
        let mut options = cf_options(cf.spec().tuning, None);
        if !compress {
            options.set_compression_type(DBCompressionType::None);
        }
        let cell = SstCell::new(options, |o| SstFileWriter::create(o));
        cell.with_dependent(|_, w| w.open(path))
            .map_err(|e| Error::storage(format!("creating {}", path.display()), e))?;
        Ok(SstWriter {
            cell,
            path: path.to_owned(),
            entries: 0,
        })
    }

    /// Appends one entry; `key` must sort after every key put before.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.entries += 1;
        let path = &self.path;
        self.cell.with_dependent_mut(|_, w| {
            w.put(key, value)
                .map_err(|e| Error::storage(format!("writing {}", path.display()), e))
        })
    }

    /// Completes the file. Returns its path, or `None` (and no file) when
    /// nothing was put.
    pub fn finish(mut self) -> Result<Option<PathBuf>> {
        if self.entries == 0 {
            drop(self.cell);
            let _ = std::fs::remove_file(&self.path);
            return Ok(None);
        }
        let path = &self.path;
        self.cell.with_dependent_mut(|_, w| {
            w.finish()
                .map_err(|e| Error::storage(format!("finishing {}", path.display()), e))
        })?;
        Ok(Some(self.path))
    }
}
