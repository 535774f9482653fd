//! Reading printed labels back as a phone or a scanner would: a PDF rasterised with
//! `pdftoppm` (poppler-utils) and every page scanned with `zbarimg` (zbar-tools).

use std::path::Path;
use std::process::Command;

/// Every QR code's text on every page of the PDF at `pdf`, in page order.
pub fn qr_codes_in_pdf(pdf: &Path, dpi: u32) -> anyhow::Result<Vec<String>> {
    let pages = tempfile::tempdir()?;
    let prefix = pages.path().join("page");
    let out = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .map_err(|e| anyhow::anyhow!("pdftoppm is missing ({e}): run scripts/install-test-deps"))?;
    anyhow::ensure!(out.status.success(), "pdftoppm failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<_> =
        std::fs::read_dir(pages.path())?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut codes = vec![];
    for page in files {
        codes.extend(qr_codes_in_image(&page)?);
    }
    Ok(codes)
}

/// Every QR code's text in the image at `path`.
pub fn qr_codes_in_image(path: &Path) -> anyhow::Result<Vec<String>> {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg("-Sdisable")
        .arg("-Sqrcode.enable")
        .arg(path)
        .output()
        .map_err(|e| anyhow::anyhow!("zbarimg is missing ({e}): run scripts/install-test-deps"))?;
    // zbarimg exits 4 when an image holds no code at all.
    anyhow::ensure!(
        out.status.success() || out.status.code() == Some(4),
        "zbarimg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
}
