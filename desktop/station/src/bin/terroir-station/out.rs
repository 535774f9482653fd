//! Results as text for people or as JSON for scripts.

use serde::Serialize;

/// Results as text for people or as JSON for scripts.
pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn show<T: Serialize + ?Sized>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("terroir-station: {e}"),
            }
        } else {
            println!("{}", text());
        }
    }

    pub fn say(&self, text: &str) {
        if self.json {
            println!("{}", serde_json::json!({ "message": text }));
        } else {
            println!("{text}");
        }
    }
}
