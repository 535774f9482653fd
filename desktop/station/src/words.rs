//! The station speaks Chinese and English. Everything it says to a clerk (a refusal, a field
//! to fix, a record's summary, a check of a label) is written in both, side by side where it
//! is said, so a sentence without its translation does not compile; the window shows the
//! language the clerk chose at setup ([`Language`], changeable in the settings).
//!
//! Names the clerk typed (a garden, a lot number, an organisation) and codes (GTINs, ear tags,
//! ids) read the same in both languages.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The languages the window speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Zh,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Zh];

    /// The code stored in the settings and used by the window: `en`, `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code.trim())
    }
}

/// One sentence in each language. It travels to the window as `{"en": …, "zh": …}`; `Display`
/// gives the English (logs, the headless command's default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub en: String,
    pub zh: String,
}

/// `said(english, chinese)`.
pub fn said(en: impl Into<String>, zh: impl Into<String>) -> Said {
    Said { en: en.into(), zh: zh.into() }
}

impl Said {
    /// Text that reads the same in both languages: a name, a code, a path.
    pub fn same(text: impl Into<String>) -> Said {
        let text = text.into();
        Said { en: text.clone(), zh: text }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::En => &self.en,
            Language::Zh => &self.zh,
        }
    }

    /// `self` followed by `detail` (a system's own message, a name) in both languages, with
    /// each language's separator.
    pub fn with_detail(self, detail: impl fmt::Display) -> Said {
        let detail = detail.to_string();
        Said { en: format!("{}: {detail}", self.en), zh: format!("{}：{detail}", self.zh) }
    }

    /// `self`, then `more`, in each language: "line 3: must not be empty".
    pub fn with(self, more: &Said) -> Said {
        Said { en: format!("{}: {}", self.en, more.en), zh: format!("{}：{}", self.zh, more.zh) }
    }

    /// The sentences joined, with each language's list separator.
    pub fn join(parts: &[Said]) -> Said {
        let en: Vec<&str> = parts.iter().map(|p| p.en.as_str()).collect();
        let zh: Vec<&str> = parts.iter().map(|p| p.zh.as_str()).collect();
        Said { en: en.join("; "), zh: zh.join("；") }
    }

    /// Both languages in one line, for the store's search text: a clerk finds an asset by the
    /// words of either.
    pub fn both(&self) -> String {
        if self.en == self.zh { self.en.clone() } else { format!("{} {}", self.en, self.zh) }
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_travels_in_both_languages_and_shows_in_the_chosen_one() {
        let s = said("must not be empty", "不能为空").with_detail("garden");
        assert_eq!(serde_json::to_value(&s).unwrap_or_default()["zh"], "不能为空：garden");
        assert_eq!(s.get(Language::En), "must not be empty: garden");
        assert_eq!(s.to_string(), s.en);
        assert_eq!(Said::join(&[said("a", "甲"), said("b", "乙")]).zh, "甲；乙");
        assert_eq!(Said::same("LBZ26SP01").both(), "LBZ26SP01");
        assert_eq!(Language::parse("zh"), Some(Language::Zh));
        assert_eq!(Language::parse("fr"), None);
    }
}
