//! `playhook agent serve` (filled in below).
