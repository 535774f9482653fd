//! The server's modules import one way: `http/` reaches the services and nothing below them,
//! and no module imports one that imports it back. Read from the source, as a reviewer would:
//! every `crate::a::b` and `super::x` path outside the test modules is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module (`service::reads`, `http`, `db::map`) and the modules its code names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    read_dir(&src, &src, &mut sources);
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    // The longest known module a path names.
    let known =
        |path: &[&str]| (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| modules.contains(m));
    let mut graph = BTreeMap::new();
    for (module, text) in &sources {
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String =
            code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let own: Vec<&str> = module.split("::").collect();
        let mut named = BTreeSet::new();
        for (prefix, base) in
            [("crate::", Vec::new()), ("super::", own[..own.len().saturating_sub(1)].to_vec())]
        {
            for (at, _) in code.match_indices(prefix) {
                for path in paths(&code[at + prefix.len()..]) {
                    let full: Vec<&str> = base.iter().copied().chain(path).collect();
                    if let Some(target) = known(&full) {
                        // A module's own children and parents are its own business.
                        let related = target.starts_with(&format!("{module}::"))
                            || module.starts_with(&format!("{target}::"))
                            || target == *module;
                        if !related {
                            named.insert(target);
                        }
                    }
                }
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

/// The paths that follow a `crate::` or `super::`: one (`db::map::tip`), or each of a group
/// (`{ServiceError, reads::Reads, label::{self, Label}}`).
fn paths(rest: &str) -> Vec<Vec<&str>> {
    let word = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let Some(group) = rest.strip_prefix('{') else {
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        return vec![rest[..end].split("::").filter(|s| word(s)).collect()];
    };
    // The group up to its closing brace, split at its own commas.
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.push(&group[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.into_iter().flat_map(|item| paths(item.trim())).collect()
}

fn read_dir(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_dir(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under src").with_extension("");
            let mut parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            if parts.first().is_some_and(|p| p == "bin") {
                continue;
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&path).expect("source"));
        }
    }
}

/// The modules on a loop of imports, one loop per group (Tarjan's strongly connected components).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_module_imports_in_a_loop() {
    let graph = imports();
    assert!(graph.contains_key("service::reads") && graph.contains_key("http"), "modules read");
    assert_eq!(loops(&graph), Vec::<Vec<String>>::new());
}

#[test]
fn the_http_layer_reaches_services_not_the_database() {
    let graph = imports();
    for (module, named) in graph.iter().filter(|(m, _)| m.as_str() == "http" || m.starts_with("http::")) {
        let below: Vec<&String> = named.iter().filter(|n| *n == "db" || n.starts_with("db::")).collect();
        assert!(below.is_empty(), "{module} imports {below:?}");
    }
}

#[test]
fn the_loop_finder_finds_a_loop() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a", "d"]), ("d", vec![])]
            .into_iter()
            .map(|(m, n)| (m.to_owned(), n.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(loops(&graph), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
}

#[test]
fn imports_are_read_alone_and_in_groups() {
    assert_eq!(paths("db::map::tip(conn)"), vec![vec!["db", "map", "tip"]]);
    assert_eq!(
        paths("{ServiceError, reads::Reads, label::{self, Label}};"),
        vec![vec!["ServiceError"], vec!["reads", "Reads"], vec!["label"]]
    );
}
