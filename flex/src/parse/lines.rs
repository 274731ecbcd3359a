//! A `BufRead` wrapper that remembers where lines start, so errors can name a line and
//! column even though the input is streamed and never held in memory.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// How many recent line starts are remembered (errors point at most one element back).
const RECENT: usize = 1024;

/// Counts newlines in everything the XML reader consumes.
pub(crate) struct LineCounter<R> {
    inner: R,
    offset: u64,
    lines: u64,
    /// Byte offsets of the most recent newlines, oldest first.
    recent: VecDeque<u64>,
}

impl<R: BufRead> LineCounter<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            lines: 0,
            recent: VecDeque::with_capacity(RECENT),
        }
    }

    fn note(&mut self, bytes: &[u8]) {
        remember_newlines(&mut self.recent, &mut self.lines, self.offset, bytes);
        self.offset += bytes.len() as u64;
    }

    /// 1-based (line, column) of a byte offset already consumed (or just past it).
    pub(crate) fn line_column(&self, position: u64) -> (u64, u64) {
        let after = self
            .recent
            .iter()
            .rev()
            .take_while(|&&nl| nl >= position)
            .count() as u64;
        let line = self.lines.saturating_sub(after) + 1;
        let before = self.recent.iter().rev().find(|&&nl| nl < position);
        let column = match before {
            Some(nl) => position - nl,
            None if line == 1 => position + 1,
            // Further back than remembered: the column is unknown, say 1.
            None => 1,
        };
        (line, column)
    }
}

fn remember_newlines(recent: &mut VecDeque<u64>, lines: &mut u64, offset: u64, bytes: &[u8]) {
    for i in memchr::memchr_iter(b'\n', bytes) {
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(offset + i as u64);
        *lines += 1;
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // `fill_buf` on a non-empty buffer returns the same bytes without reading.
        if let Ok(bytes) = self.inner.fill_buf() {
            let n = amount.min(bytes.len());
            remember_newlines(&mut self.recent, &mut self.lines, self.offset, &bytes[..n]);
        }
        self.offset += amount as u64;
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::LineCounter;
    use std::io::{BufRead, Read};

    #[test]
    fn positions_map_to_lines_and_columns() {
        let mut counter = LineCounter::new(&b"ab\ncd\n\nxyz"[..]);
        let mut all = Vec::new();
        counter.read_to_end(&mut all).unwrap();
        assert_eq!(counter.line_column(0), (1, 1));
        assert_eq!(counter.line_column(1), (1, 2));
        assert_eq!(counter.line_column(3), (2, 1));
        assert_eq!(counter.line_column(7), (4, 1));
        assert_eq!(counter.line_column(9), (4, 3));
    }

    #[test]
    fn consumed_bytes_are_counted() {
        let mut counter = LineCounter::new(&b"a\nb\nc"[..]);
        let n = counter.fill_buf().unwrap().len();
        counter.consume(n);
        assert_eq!(counter.line_column(4), (3, 1));
    }
}
