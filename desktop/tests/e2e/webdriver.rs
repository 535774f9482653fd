//! A small W3C WebDriver client over HTTP: just what the station's tests use.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    base: String,
    agent: ureq::Agent,
}

fn post(agent: &ureq::Agent, url: &str, body: Value) -> Result<Value, String> {
    match agent.post(url).send_json(body) {
        Ok(r) => r.into_json::<Value>().map(|v| v["value"].clone()).map_err(|e| e.to_string()),
        Err(ureq::Error::Status(code, r)) => Err(format!("{code}: {}", r.into_string().unwrap_or_default())),
        Err(e) => Err(e.to_string()),
    }
}

impl Session {
    /// Opens the app at `application` through the driver at `driver`.
    pub fn start(driver: &str, application: &str) -> Result<Self, String> {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
        let caps =
            json!({ "capabilities": { "alwaysMatch": { "tauri:options": { "application": application } } } });
        let value = post(&agent, &format!("{driver}/session"), caps)?;
        let id = value["sessionId"].as_str().ok_or_else(|| format!("no session id in {value}"))?;
        Ok(Self { base: format!("{driver}/session/{id}"), agent })
    }

    fn post(&self, path: &str, body: Value) -> Value {
        post(&self.agent, &format!("{}{path}", self.base), body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Runs `script` (a function body) in the window; returns its value.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    fn find(&self, css: &str) -> Option<String> {
        post(&self.agent, &format!("{}/element", self.base), json!({ "using": "css selector", "value": css }))
            .ok()
            .and_then(|v| v[ELEMENT].as_str().map(str::to_owned))
    }

    /// The element matching `css`, waiting up to 20 s for it to appear and be shown.
    pub fn element(&self, css: &str) -> String {
        self.wait(&format!("`{css}` to appear"), || {
            let visible = self.run(
                "const e = document.querySelector(arguments[0]); return !!e && !e.closest('[hidden]');",
                json!([css]),
            );
            if visible == json!(true) { self.find(css) } else { None }
        })
    }

    /// Scrolls the element into view and clicks it as a pointer would.
    pub fn click(&self, css: &str) {
        let e = self.element(css);
        self.run("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", json!([css]));
        self.post(&format!("/element/{e}/click"), json!({}));
    }

    /// Types `text` into the field, replacing what it held. A field shown a moment before the
    /// view around it settles can refuse input ("element not interactable"): it is found again
    /// and scrolled into view until it takes it.
    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.wait(&format!("`{css}` to take input"), || {
            let e = self.element(css);
            self.run("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", json!([css]));
            post(&self.agent, &format!("{}/element/{e}/clear", self.base), json!({})).ok().map(|_| e)
        });
        self.post(&format!("/element/{e}/value"), json!({ "text": text }));
    }

    /// Sets a select's or date field's value the way a change by hand does.
    pub fn choose(&self, css: &str, value: &str) {
        self.element(css);
        self.run(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        );
    }

    /// The element's text as shown.
    pub fn text(&self, css: &str) -> String {
        let e = self.element(css);
        let answer = self.agent.get(&format!("{}/element/{e}/text", self.base)).call();
        answer
            .ok()
            .and_then(|r| r.into_json::<Value>().ok())
            .and_then(|v| v["value"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits up to 60 s for `probe` to give a value.
    pub fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(v) = probe() {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text of `css` satisfies `ok`.
    pub fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait(&format!("the text of `{css}`"), || {
            let t = self.run(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                json!([css]),
            );
            t.as_str().filter(|t| ok(t)).map(str::to_owned)
        })
    }

    /// Saves a PNG screenshot of the window.
    pub fn screenshot(&self, path: &std::path::Path) {
        let v = self.agent.get(&format!("{}/screenshot", self.base)).call().expect("screenshot");
        let b64 = v.into_json::<Value>().expect("json")["value"].as_str().unwrap_or("").to_owned();
        let png = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64 screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }

    pub fn close(self) {
        let _ = self.agent.delete(&self.base).call();
    }
}
