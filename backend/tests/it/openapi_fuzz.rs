//! The OpenAPI document is true: Schemathesis, a tool we did not write, generates requests from
//! it against the demo server and runs every check it has (no server error, every status,
//! content type, header and body as documented, schema-valid requests taken and invalid ones
//! refused). `backend/tests/schemathesis.toml` names the few operations it cannot generate, and
//! why. The run is bounded (a fixed seed, a few dozen examples an operation).

use std::process::Command;

use crate::crash::{free_port, serve};

#[test]
fn schemathesis_finds_the_openapi_document_true_of_the_demo_server() {
    let st = crate::support::tool("TERROIR_SCHEMATHESIS", "st");
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut server = serve(dir.path(), port, &["--demo"]);
    let base = format!("http://127.0.0.1:{port}");
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let out = Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/api/openapi.json"), "--checks", "all", "--max-examples", "30"])
        .args(["--seed", "20261204", "--no-color", "--workers", "2"])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", st.display()));
    let _ = server.kill();
    let _ = server.wait();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "Schemathesis found the document untrue:\n{said}");
    assert!(said.contains("No issues found") || said.contains("passed"), "{said}");
}
