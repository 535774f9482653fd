//! Label text made to fit: what a font can show, lines cut with an ellipsis, titles wrapped.
//!
//! The PDF's builtin Helvetica speaks WinAnsi only and the preview's bitmap font ASCII only,
//! while a co-op's titles are often Chinese or pinyin. A character a face cannot show is folded
//! to a close one it can (`ǎ` → `a`, full-width `３` → `3`) or else left out; the rest of the
//! line is kept, so `普洱 Pu'er 357 g` prints as `Pu'er 357 g`.

/// Size and weight of one line of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Style {
    pub size_pt: f32,
    pub bold: bool,
}

/// A font as the layout sees it: which characters it has and how wide they are.
pub(super) trait Face {
    /// Whether the face has a glyph for `c`.
    fn shows(&self, c: char) -> bool;
    /// How far the pen moves after `c`, in millimetres.
    fn advance_mm(&self, c: char, style: Style) -> f32;
}

/// The PDF's builtin Helvetica and Helvetica-Bold, WinAnsi encoded.
pub(super) struct Helvetica;

impl Face for Helvetica {
    fn shows(&self, c: char) -> bool {
        is_win_ansi(c)
    }

    fn advance_mm(&self, c: char, style: Style) -> f32 {
        let widths = if style.bold { &HELVETICA_BOLD } else { &HELVETICA };
        let ascii = |c: char| widths[usize::from(c as u8 - b' ')];
        let units = match c {
            ' '..='~' => ascii(c),
            '·' => 278,
            '•' => 350,
            '–' | '€' => 556,
            // An accented letter is as wide as its base letter in Helvetica.
            _ => match fold(c) {
                Some(base) if c.is_alphabetic() && base.is_ascii_alphabetic() => ascii(base),
                // Any other WinAnsi glyph is at most an em wide: a line may end a little early
                // but never runs past its cell.
                _ => 1000,
            },
        };
        f32::from(units) / 1000.0 * style.size_pt * MM_PER_PT
    }
}

pub(super) const MM_PER_PT: f32 = 25.4 / 72.0;

/// The ellipsis that ends a line cut short; both faces have it.
pub(super) const ELLIPSIS: char = '…';

/// `text` as `face` can show it: control characters and runs of white space become one space,
/// other characters it lacks are folded to one it has or left out. When anything was left out,
/// separators left dangling at either end (`·`, `-`, `/`, …) go too.
pub(super) fn showable(text: &str, face: &dyn Face) -> String {
    let mut dropped = false;
    let mapped: String = text
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() || c.is_control() {
                Some(' ')
            } else if face.shows(c) {
                Some(c)
            } else if let Some(folded) = fold(c).filter(|&f| face.shows(f)) {
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

/// How wide `text` is set in `style`.
pub(super) fn width_mm(text: &str, style: Style, face: &dyn Face) -> f32 {
    text.chars().map(|c| face.advance_mm(c, style)).sum()
}

/// `text` on one line at most `max_mm` wide: whole if it fits, else cut and ended by `…`.
pub(super) fn fit(text: &str, max_mm: f32, style: Style, face: &dyn Face) -> String {
    let budget = max_mm - face.advance_mm(ELLIPSIS, style);
    let mut width = 0.0;
    let mut cut = None;
    for (i, c) in text.char_indices() {
        width += face.advance_mm(c, style);
        if cut.is_none() && width > budget {
            cut = Some(i);
        }
        if width > max_mm {
            let kept = text[..cut.unwrap_or(i)].trim_end();
            return format!("{kept}{ELLIPSIS}");
        }
    }
    text.to_owned()
}

/// `text` over at most `max_lines` lines of at most `max_mm`, broken at spaces (inside a word
/// only when the word alone is too long); the last line is cut with `…` if text remains.
pub(super) fn wrap(text: &str, max_mm: f32, max_lines: usize, style: Style, face: &dyn Face) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() && lines.len() < max_lines {
        if lines.len() + 1 == max_lines {
            lines.push(fit(rest, max_mm, style, face));
            break;
        }
        let Some(end) = line_end(rest, max_mm, style, face) else {
            lines.push(rest.to_owned());
            break;
        };
        lines.push(rest[..end].trim_end().to_owned());
        rest = rest[end..].trim_start();
    }
    lines
}

/// The GS1 human-readable line split into one line per AI: `(01) 0690…`, `(10) 2026SP01`, …
/// Values cannot hold spaces (GS1 character set 82), so `" ("` always starts an AI.
pub(super) fn hri_elements(hri: &str) -> Vec<String> {
    let mut parts = hri.split(" (");
    let first = parts.next().map(str::to_owned);
    first.into_iter().chain(parts.map(|p| format!("({p}"))).filter(|p| !p.trim().is_empty()).collect()
}

/// Where the first line of `text` ends: `None` if all of it fits, else the byte index of the
/// last space before it overflows, or of the first character that overflows when there is no
/// such space (never 0, so wrapping always moves on).
fn line_end(text: &str, max_mm: f32, style: Style, face: &dyn Face) -> Option<usize> {
    let mut width = 0.0;
    let mut last_space = None;
    for (i, c) in text.char_indices() {
        if c == ' ' && i > 0 {
            last_space = Some(i);
        }
        width += face.advance_mm(c, style);
        if width > max_mm {
            return Some(last_space.unwrap_or(if i == 0 { c.len_utf8() } else { i }));
        }
    }
    None
}

/// Whether the WinAnsiEncoding that printpdf gives builtin fonts has `c`.
fn is_win_ansi(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// A close character for one a face may lack: the letter under an accent or a pinyin tone mark,
/// the ASCII form of a full-width one, straight quotes and dashes.
fn fold(c: char) -> Option<char> {
    let folded = match c {
        // Full-width forms, common in Chinese input: `３５７ｇ`, `（`, `，`.
        '\u{FF01}'..='\u{FF5E}' => return char::from_u32(u32::from(c) - 0xFEE0),
        '、' => ',',
        '。' => '.',
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' | 'Ǎ' => 'A',
        'à'..='å' | 'ā' | 'ă' | 'ą' | 'ǎ' => 'a',
        'Ç' | 'Ć' | 'Č' => 'C',
        'ç' | 'ć' | 'č' => 'c',
        'È'..='Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'Ì'..='Ï' | 'Ī' | 'Ǐ' => 'I',
        'ì'..='ï' | 'ī' | 'ǐ' => 'i',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'ñ' | 'ń' | 'ň' => 'n',
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ǒ' => 'O',
        'ò'..='ö' | 'ø' | 'ō' | 'ǒ' => 'o',
        'Ù'..='Ü' | 'Ū' | 'Ů' | 'Ǔ' | 'Ǖ' | 'Ǘ' | 'Ǚ' | 'Ǜ' => 'U',
        'ù'..='ü' | 'ū' | 'ů' | 'ǔ' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'u',
        'Ý' | 'Ÿ' => 'Y',
        'ý' | 'ÿ' => 'y',
        'Š' | 'Ś' => 'S',
        'š' | 'ś' => 's',
        'Ž' | 'Ź' | 'Ż' => 'Z',
        'ž' | 'ź' | 'ż' => 'z',
        'Ł' => 'L',
        'ł' => 'l',
        '‘' | '’' | '′' => '\'',
        '“' | '”' | '″' => '"',
        '–' | '—' | '‐' | '−' => '-',
        '•' | '・' => '·',
        _ => return None,
    };
    Some(folded)
}

/// Helvetica advance widths for ASCII 0x20..=0x7E, in 1/1000 em (Adobe's AFM metrics).
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,      // 'p'..'~'
];

/// Helvetica-Bold advance widths for ASCII 0x20..=0x7E, in 1/1000 em (Adobe's AFM metrics).
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // '0'..'?'
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 'P'..'_'
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // '`'..'o'
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,      // 'p'..'~'
];

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: Style = Style { size_pt: 8.5, bold: true };

    fn width(text: &str) -> f32 {
        width_mm(text, TITLE, &Helvetica)
    }

    #[test]
    fn chinese_is_left_out_and_the_rest_kept() {
        assert_eq!(showable("普洱茶 Pu'er 357 g", &Helvetica), "Pu'er 357 g");
        assert_eq!(showable("老班章 · 2026 spring", &Helvetica), "2026 spring");
        assert_eq!(showable("Lǎobānzhāng\t·  2026", &Helvetica), "Laobanzhang · 2026");
        assert_eq!(showable("３５７ｇ", &Helvetica), "357g");
        assert_eq!(showable("普洱茶", &Helvetica), "");
        assert_eq!(showable("Café crème · 2026", &Helvetica), "Café crème · 2026");
    }

    #[test]
    fn a_long_line_ends_with_an_ellipsis_within_its_width() {
        let cut = fit("Ancient arbor Pu'er tea from Laobanzhang village", 29.0, TITLE, &Helvetica);
        assert!(cut.ends_with('…') && cut.starts_with("Ancient arbor"), "{cut}");
        assert!(width(&cut) <= 29.0);
        assert_eq!(fit("Short", 29.0, TITLE, &Helvetica), "Short");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_the_last_line() {
        let lines = wrap("Ancient arbor Pu'er tea from Laobanzhang village", 29.0, 2, TITLE, &Helvetica);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "Ancient arbor Pu'er");
        assert!(lines[1].ends_with('…'));
        assert!(lines.iter().all(|l| width(l) <= 29.0), "{lines:?}");
        let long_word = "W".repeat(200);
        let lines = wrap(&long_word, 29.0, 2, TITLE, &Helvetica);
        assert!(lines.iter().all(|l| width(l) <= 29.0), "{lines:?}");
        assert!(wrap("", 29.0, 2, TITLE, &Helvetica).is_empty());
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
