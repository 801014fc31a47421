//! `--checksum` against the real pair: content drift at equal row counts,
//! found read-only and located, with no false alarm; the state file.

mod cases;
mod rotation;
mod seeded;
