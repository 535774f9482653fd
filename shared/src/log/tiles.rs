//! C2SP tlog-tiles paths: the part of a tile's URL after `tile/<L>/` (or `tile/entries/`), the
//! index `N` in groups of three digits, all but the last prefixed `x`, and `.p/<W>` for a
//! partial tile of `W` (1–255) hashes or entries. Only the canonical spelling is a tile path (as
//! Go's `tlog.ParseTilePath` holds it), so each tile has exactly one URL.

/// Hashes or entries in a full tile.
pub const TILE_WIDTH: u64 = 256;

/// Why a path is not a tile path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TilePathError {
    #[error("`{0}` is not a tile path (x001/x234/067[.p/W])")]
    Path(String),
    #[error("bad tile level `{0}` (0–63, no leading zeros)")]
    Level(String),
}

/// The canonical path of tile `n` of `width` hashes or entries (256: a full tile).
pub fn tile_path(n: u64, width: u64) -> String {
    let mut path = format!("{:03}", n % 1000);
    let mut rest = n / 1000;
    while rest > 0 {
        path = format!("x{:03}/{path}", rest % 1000);
        rest /= 1000;
    }
    if width != TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// A tile path's index and width: the inverse of [`tile_path`], for canonical paths only (no
/// `x000/` groups in front, no leading zero or sign in the width, a width of 1–255).
pub fn parse_tile_path(path: &str) -> Result<(u64, u64), TilePathError> {
    let bad = || TilePathError::Path(path.to_owned());
    let (index, width) = match path.split_once(".p/") {
        Some((i, w)) => (i, w.parse::<u64>().ok().filter(|w| (1..TILE_WIDTH).contains(w)).ok_or_else(bad)?),
        None => (path, TILE_WIDTH),
    };
    let segments: Vec<&str> = index.split('/').collect();
    let mut n: u64 = 0;
    for (i, segment) in segments.iter().enumerate() {
        let digits = if i + 1 == segments.len() { Some(*segment) } else { segment.strip_prefix('x') };
        let digits =
            digits.filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(bad)?;
        let d: u64 = digits.parse().map_err(|_| bad())?;
        n = n.checked_mul(1000).and_then(|n| n.checked_add(d)).ok_or_else(bad)?;
    }
    if tile_path(n, width) != path {
        return Err(bad());
    }
    Ok((n, width))
}

/// A tile level: a decimal 0–63 without leading zeros. Levels the tree cannot reach yet are
/// valid (their tiles are not found).
pub fn parse_level(level: &str) -> Result<u8, TilePathError> {
    level
        .parse::<u8>()
        .ok()
        .filter(|l| *l < 64 && l.to_string() == level)
        .ok_or_else(|| TilePathError::Level(level.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{parse_level, parse_tile_path, tile_path};

    #[test]
    fn levels() {
        assert_eq!(parse_level("0").ok(), Some(0));
        assert_eq!(parse_level("63").ok(), Some(63));
        for bad in ["00", "01", "64", "-1", "+1", "", "x"] {
            assert!(parse_level(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_are_written_as_c2sp_spells_them_and_only_those_are_read() {
        assert_eq!(tile_path(0, 256), "000");
        assert_eq!(tile_path(0, 5), "000.p/5");
        assert_eq!(tile_path(1_234_067, 256), "x001/x234/067");
        assert_eq!(tile_path(1_000, 17), "x001/000.p/17");
        assert_eq!(parse_tile_path("000").ok(), Some((0, 256)));
        assert_eq!(parse_tile_path("x001/x234/067").ok(), Some((1_234_067, 256)));
        assert_eq!(parse_tile_path("005.p/17").ok(), Some((5, 17)));
        assert_eq!(parse_tile_path("x001/000").ok(), Some((1_000, 256)));
        for bad in [
            "5",
            "0005",
            "x1/000",
            "001/000",
            "000.p/0",
            "000.p/256",
            "abc",
            "000.p/017",
            "x000/001",
            "x000/x001/000",
            "000.p/+17",
            "",
            "x018/x446/x744/x073/x709/x551/616",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad}");
        }
        for n in [0, 1, 999, 1_000, 1_234_067, u64::MAX / 256, u64::MAX] {
            for w in [1, 17, 255, 256] {
                assert_eq!(parse_tile_path(&tile_path(n, w)).ok(), Some((n, w)), "{n} {w}");
            }
        }
    }

    /// The same paths as the `tlog_tiles` crate (Go's `tlog` in Rust) writes and reads, for every
    /// width it accepts (it also reads a width of 0, which C2SP does not allow).
    #[test]
    fn paths_agree_with_tlog_tiles() {
        for n in [0u64, 7, 999, 1_000, 65_535, 1_234_067, 999_999_999, u64::MAX >> 8] {
            for w in [1u32, 2, 100, 255, 256] {
                let theirs = tlog_tiles::Tile::new(8, 0, n, w, false).path();
                assert_eq!(theirs, format!("tile/8/0/{}", tile_path(n, u64::from(w))));
                assert_eq!(tlog_tiles::Tile::from_path(&theirs).ok().map(|t| t.path()), Some(theirs));
            }
        }
    }
}
