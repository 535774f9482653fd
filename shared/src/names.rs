//! Names that carry rights (a garden, a mountain, a harvest season: a cap or an origin depends
//! on them) compared as people read them, and refused when they could fool a reader.
//!
//! Two spellings a person reads as the same name get the same [`fold`]: Unicode NFKC (fullwidth
//! letters, ligatures), full case folding, accents and other combining marks dropped (tone
//! marks in pinyin too: "Lǎobānzhāng" is Laobanzhang), the confusable skeleton of Unicode
//! TS #39 (a Cyrillic "а" reads as a Latin "a"), and punctuation and spacing reduced to single
//! spaces between words. [`check`] refuses what no honest name needs: characters that are
//! invisible or not meant for identifiers (TS #39's General Security Profile: zero-width
//! spaces, joiners, bidirectional controls, variation selectors, Hangul fillers, …) and a mix of
//! scripts a reader cannot tell apart (beyond TS #39's "highly restrictive" level, which allows
//! Latin with Han, kana or Hangul, as in "Laobanzhang 老班章").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection, skeleton};

/// Why a name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("it carries U+{0:04X}, a character that is invisible or not used in names")]
    Invisible(u32),
    #[error("it mixes scripts that look alike (for example Latin with Cyrillic or Greek)")]
    MixedScripts,
}

/// Punctuation a name may carry between its words.
fn separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | ',' | '\'' | '’' | '(' | ')' | '&' | '/' | '·')
}

/// Refuses a name a reader could be fooled by; see the module's documentation.
pub fn check(name: &str) -> Result<(), NameError> {
    if name.is_ascii() {
        // One script at most: only the characters need checking.
        return match name.chars().find(|c| !separator(*c) && !c.identifier_allowed()) {
            Some(c) => Err(NameError::Invisible(u32::from(c))),
            None => Ok(()),
        };
    }
    let mut letters = String::with_capacity(name.len());
    for c in name.chars() {
        if separator(c) {
            continue;
        }
        if !c.identifier_allowed() {
            return Err(NameError::Invisible(u32::from(c)));
        }
        letters.push(c);
    }
    match letters.as_str().detect_restriction_level() {
        RestrictionLevel::ASCIIOnly
        | RestrictionLevel::SingleScript
        | RestrictionLevel::HighlyRestrictive => Ok(()),
        _ => Err(NameError::MixedScripts),
    }
}

/// The form in which two names compare equal when people would read them as one.
pub fn fold(name: &str) -> String {
    // ASCII is its own NFKC and NFD, has no marks, and folds to lower case.
    let bare: String = if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        let folded = caseless::default_case_fold_str(&name.nfkc().collect::<String>());
        folded.nfd().filter(|c| !is_combining_mark(*c)).collect()
    };
    let skeleton: String = skeleton(&bare).collect();
    // Spaces and punctuation part words; anything else that is not a letter or a digit (an
    // invisible character) is dropped, so it cannot part or change a word either.
    let mut out = String::with_capacity(skeleton.len());
    let mut gap = false;
    for c in skeleton.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        } else if c.is_whitespace() || separator(c) || c.is_ascii_punctuation() {
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_fold_to_one_name() {
        let plain = fold("Adv Cap Garden");
        for spelling in [
            "adv cap garden",
            "  Adv   Cap Garden ",
            "Ａｄｖ Ｃａｐ Ｇａｒｄｅｎ",
            "Adv Cap Garden.",
            "Adv-Cap-Garden",
            "Adv Cap Gárden",
            "Adv Cap Gar\u{0301}den",
            "Аdv Cap Garden",
            "Adv Cap Gard\u{200B}en",
        ] {
            assert_eq!(fold(spelling), plain, "{spelling:?}");
        }
        assert_eq!(fold("Lǎobānzhāng"), fold("Laobanzhang"));
        assert_ne!(fold("Laobanzhang"), fold("Lao Banzhang Two"));
        assert_ne!(fold("老班章"), fold("新班章"));
    }

    #[test]
    fn invisible_characters_and_mixed_scripts_are_refused() {
        assert_eq!(check("Adv Cap Gard\u{200B}en"), Err(NameError::Invisible(0x200B)));
        assert_eq!(check("Adv\u{2060}Cap"), Err(NameError::Invisible(0x2060)));
        assert_eq!(check("Garden\u{FE0F}"), Err(NameError::Invisible(0xFE0F)));
        assert_eq!(check("\u{202E}nedraG"), Err(NameError::Invisible(0x202E)));
        assert_eq!(check("Ａｄｖ"), Err(NameError::Invisible(0xFF21)));
        assert_eq!(check("Аdv Cap Garden"), Err(NameError::MixedScripts), "Cyrillic А");
        assert_eq!(check("Gαrden"), Err(NameError::MixedScripts), "Greek alpha");
        for ok in
            ["Laobanzhang", "Laobanzhang 老班章", "布朗山", "O'Neill & Sons (No. 2)", "Bùlǎng", "2026 spring"]
        {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }
}
