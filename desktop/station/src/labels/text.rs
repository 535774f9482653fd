//! Label text made to fit, in the one face labels are set in (Noto Sans CJK SC, see
//! `assets/fonts/README.md`): which characters it shows, how wide they are, lines broken where
//! Unicode allows (UAX #14: at spaces, and between Chinese characters but not before `，` or `。`),
//! and a line cut with `…` only when nothing else fits.

use ab_glyph::{Font as _, FontRef};

/// The face's bytes: printed sheets embed the glyphs they use, previews rasterise them.
pub(super) const FONT: &[u8] = include_bytes!("../../../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

pub(super) const MM_PER_PT: f32 = 25.4 / 72.0;

/// The ellipsis that ends a line cut short.
pub(super) const ELLIPSIS: char = '…';

/// The face, parsed once.
pub(super) fn face() -> &'static FontRef<'static> {
    static FACE: std::sync::OnceLock<FontRef<'static>> = std::sync::OnceLock::new();
    // The face is compiled in and checked by a test: it always parses.
    FACE.get_or_init(|| FontRef::try_from_slice(FONT).unwrap_or_else(|e| panic!("the label face: {e}")))
}

/// Whether the face has a glyph for `c`.
pub(super) fn shows(c: char) -> bool {
    face().glyph_id(c).0 != 0
}

/// How far the pen moves after `c` at `size_pt`, in millimetres.
pub(super) fn advance_mm(c: char, size_pt: f32) -> f32 {
    let f = face();
    f.h_advance_unscaled(f.glyph_id(c)) / f.units_per_em().unwrap_or(1000.0) * size_pt * MM_PER_PT
}

/// How wide `text` is set at `size_pt`.
pub(super) fn width_mm(text: &str, size_pt: f32) -> f32 {
    text.chars().map(|c| advance_mm(c, size_pt)).sum()
}

/// `text` as the face can show it: control characters and runs of white space become one space,
/// other characters it lacks are folded to one it has (`ｇ` → `g`) or left out; when anything was
/// left out, separators left dangling at either end (`·`, `-`, `/`, …) go too.
pub(super) fn showable(text: &str) -> String {
    let mut dropped = false;
    let mapped: String = text
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() || c.is_control() {
                Some(' ')
            } else if shows(c) {
                Some(c)
            } else if let Some(folded) = fold(c).filter(|&f| shows(f)) {
                Some(folded)
            } else {
                dropped = true;
                None
            }
        })
        .collect();
    let joined = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    if dropped {
        let dangling = |c: char| c == ' ' || matches!(c, '·' | '-' | '–' | '—' | '/' | '|' | ',' | ';' | ':');
        joined.trim_matches(dangling).to_owned()
    } else {
        joined
    }
}

/// `text` on one line at most `max_mm` wide: whole if it fits, else cut and ended by `…`.
pub(super) fn fit(text: &str, max_mm: f32, size_pt: f32) -> String {
    if width_mm(text, size_pt) <= max_mm {
        return text.to_owned();
    }
    let budget = max_mm - advance_mm(ELLIPSIS, size_pt);
    let mut width = 0.0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        width += advance_mm(c, size_pt);
        if width > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    format!("{}{ELLIPSIS}", text[..end].trim_end())
}

/// `text` broken into lines of at most `max_mm` at `size_pt`, where Unicode allows a break (a
/// piece with no break in it that is wider than a line is broken between characters). `None`
/// when it needs more than `max_lines`.
pub(super) fn wrap(text: &str, max_mm: f32, size_pt: f32, max_lines: usize) -> Option<Vec<String>> {
    let (lines, rest) = first_lines(text, max_mm, size_pt, max_lines);
    rest.is_empty().then_some(lines)
}

/// `text` over at most `max_lines` lines of at most `max_mm`, the last cut with `…` if text
/// remains: for text that does not fit even at the smallest size.
pub(super) fn wrap_cut(text: &str, max_mm: f32, size_pt: f32, max_lines: usize) -> Vec<String> {
    if max_lines == 0 {
        return Vec::new();
    }
    let (mut lines, rest) = first_lines(text, max_mm, size_pt, max_lines - 1);
    if !rest.is_empty() {
        lines.push(fit(rest, max_mm, size_pt));
    }
    lines
}

/// Up to `count` lines broken off the start of `text`, and what is left of it.
fn first_lines(text: &str, max_mm: f32, size_pt: f32, count: usize) -> (Vec<String>, &str) {
    let mut lines = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() && lines.len() < count {
        let end = line_end(rest, max_mm, size_pt);
        lines.push(rest[..end].trim_end().to_owned());
        rest = rest[end..].trim_start();
    }
    (lines, rest)
}

/// The GS1 human-readable line split into one line per AI: `(01) 0690…`, `(10) 2026SP01`, …
/// Values cannot hold spaces (GS1 character set 82), so `" ("` always starts an AI.
pub(super) fn hri_elements(hri: &str) -> Vec<String> {
    let mut parts = hri.split(" (");
    let first = parts.next().map(str::to_owned);
    first.into_iter().chain(parts.map(|p| format!("({p}"))).filter(|p| !p.trim().is_empty()).collect()
}

/// Where the first line of `text` ends (a byte index, never 0): all of it if it fits, else the
/// last break Unicode allows before it overflows, or the first character that overflows when
/// there is none. A break at a space is preferred while it leaves the line at least half full,
/// so `老班章 Laobanzhang · 布朗山` breaks before `布朗山`, not inside it.
fn line_end(text: &str, max_mm: f32, size_pt: f32) -> usize {
    let mut breaks = unicode_linebreak::linebreaks(text).map(|(at, _)| at).peekable();
    let mut width = 0.0;
    let mut last_break = None;
    let mut last_space_break: Option<(usize, f32)> = None;
    for (i, c) in text.char_indices() {
        while breaks.peek().is_some_and(|&at| at <= i) {
            last_break = breaks.next().filter(|&at| at > 0);
            if let Some(at) = last_break
                && text[..at].ends_with(' ')
            {
                last_space_break = Some((at, width));
            }
        }
        width += advance_mm(c, size_pt);
        // A space that overflows is where the line ends: it takes no room there.
        if c != ' ' && width > max_mm {
            if let Some((at, filled)) = last_space_break
                && filled >= max_mm / 2.0
            {
                return at;
            }
            return last_break.unwrap_or(if i == 0 { c.len_utf8() } else { i });
        }
    }
    text.len()
}

/// A close character for one the face may lack: the ASCII form of a full-width one, quotes,
/// dashes and bullets.
fn fold(c: char) -> Option<char> {
    let folded = match c {
        '\u{FF01}'..='\u{FF5E}' => return char::from_u32(u32::from(c) - 0xFEE0),
        '‘' | '’' | '′' => '\'',
        '“' | '”' | '″' => '"',
        '–' | '—' | '‐' | '−' => '-',
        '•' | '・' => '·',
        _ => return None,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: f32 = 8.0;

    #[test]
    fn the_face_shows_chinese_pinyin_and_latin() {
        for c in "普洱茶饼老班章布朗山勐海合作社压制，。（）LǎobānzhāngCafé357g·…".chars()
        {
            assert!(shows(c), "{c}");
        }
        // Every ideograph of the basic block up to Unicode 11 (the face's version, 2.004, stops
        // there): a cmap that outgrew its format would lose some.
        assert!((0x4E00..=0x9FEF).filter_map(char::from_u32).all(shows));
        // Outside the subset: an ideograph of extension B.
        assert!(!shows('𠀀'));
        assert_eq!(showable("普洱茶\t Pu'er  357 g"), "普洱茶 Pu'er 357 g");
        assert_eq!(showable("𠀀 · 老班章"), "老班章");
    }

    #[test]
    fn chinese_breaks_between_characters_but_not_before_its_punctuation() {
        let text = "勐海县布朗山乡老班章村古树茶，二〇二六年春茶。";
        let lines = wrap(text, 20.0, SIZE, 4).expect("four lines are enough");
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat(), text);
        for line in &lines {
            assert!(width_mm(line, SIZE) <= 20.0, "{line}");
            assert!(!line.starts_with('，') && !line.starts_with('。'), "{lines:?}");
        }
    }

    #[test]
    fn a_line_breaks_at_a_space_before_it_breaks_inside_a_chinese_name() {
        let text = "老班章 Laobanzhang · 布朗山";
        let width = width_mm("老班章 Laobanzhang · 布朗", SIZE);
        let lines = wrap(text, width, SIZE, 2).expect("two lines");
        assert_eq!(lines, ["老班章 Laobanzhang ·", "布朗山"]);
    }

    #[test]
    fn latin_breaks_at_spaces_and_a_long_word_between_letters() {
        let lines = wrap("Ancient arbor Pu'er tea from Laobanzhang", 29.0, SIZE, 3).expect("fits");
        assert!(lines.iter().all(|l| width_mm(l, SIZE) <= 29.0 && !l.starts_with(' ')), "{lines:?}");
        assert_eq!(lines.join(" "), "Ancient arbor Pu'er tea from Laobanzhang");
        let word = "W".repeat(60);
        let lines = wrap(&word, 29.0, SIZE, 10).expect("fits in ten");
        assert!(lines.iter().all(|l| width_mm(l, SIZE) <= 29.0), "{lines:?}");
        assert!(wrap(&word, 29.0, SIZE, 1).is_none());
        assert_eq!(wrap("", 29.0, SIZE, 1), Some(vec![]));
    }

    #[test]
    fn only_the_last_resort_cuts_and_it_says_so() {
        let lines = wrap_cut(&"茶".repeat(100), 20.0, SIZE, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with(ELLIPSIS) && width_mm(&lines[1], SIZE) <= 20.0, "{lines:?}");
        assert_eq!(fit("Short", 29.0, SIZE), "Short");
    }

    #[test]
    fn the_hri_splits_into_one_line_per_ai() {
        assert_eq!(
            hri_elements("(01) 06901234567892 (10) 2026SP01 (21) 0001"),
            ["(01) 06901234567892", "(10) 2026SP01", "(21) 0001"]
        );
        assert_eq!(hri_elements("plain"), ["plain"]);
        assert!(hri_elements("").is_empty());
    }
}
