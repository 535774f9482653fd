//! Labels: QR images read back, sheets printed, rendered with Poppler and scanned with zbar, and
//! photos of labels decoded.

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use terroir_shared::gs1::{DigitalLink, Gtin};
use terroir_station::labels::{
    Label, LabelError, Offset, STOCKS, Stock, decode_labels, human_readable, label_png, qr_png, sheet_pdf,
};

const BASE: &str = "https://ledger.example";

fn link(lot: Option<&str>, serial: Option<&str>) -> DigitalLink {
    let gtin = Gtin::parse("06901234567892").expect("valid GTIN");
    DigitalLink::new(gtin, None, lot, serial).expect("valid link")
}

/// The label of cake `serial` of one pressing.
fn cake(serial: usize) -> Label {
    let link = link(Some("2026SP01"), Some(&format!("{serial:04}")));
    Label {
        uri: link.to_uri(BASE),
        title: "普洱茶饼 Pu'er tea cake 357 g".to_owned(),
        lines: vec![
            "老班章 Laobanzhang · 布朗山".to_owned(),
            "2026 spring · 压制 pressed 2026-04-02".to_owned(),
            "勐海老班章茶叶合作社".to_owned(),
        ],
        hri: human_readable(&link),
    }
}

fn png(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img.clone()).write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A small deterministic noise source (xorshift), so a failure can be replayed.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// A value in `-amplitude..=amplitude`.
    fn jitter(&mut self, amplitude: i32) -> i32 {
        (self.next() % (2 * amplitude as u32 + 1)) as i32 - amplitude
    }
}

fn add_noise(img: &mut GrayImage, amplitude: i32, noise: &mut Noise) {
    for p in img.pixels_mut() {
        p.0[0] = (i32::from(p.0[0]) + noise.jitter(amplitude)).clamp(0, 255) as u8;
    }
}

/// A large, dim, unevenly lit, grainy "table top" photo with `label` pasted in at reduced
/// contrast, as a phone might take it.
fn photo_of(label: &GrayImage) -> GrayImage {
    let (w, h) = (3000, 2200);
    let mut noise = Noise(0x5eed_1abe);
    let mut photo = GrayImage::from_fn(w, h, |x, y| Luma([(70 + x * 50 / w + y * 30 / h) as u8]));
    let dim = GrayImage::from_fn(label.width(), label.height(), |x, y| {
        Luma([(60 + u32::from(label.get_pixel(x, y).0[0]) * 130 / 255) as u8])
    });
    let dim = imageops::resize(&dim, dim.width() * 3 / 2, dim.height() * 3 / 2, FilterType::Triangle);
    imageops::overlay(&mut photo, &dim, 1100, 700);
    add_noise(&mut photo, 12, &mut noise);
    imageops::blur(&photo, 1.0)
}

fn decoded(image: &[u8]) -> Vec<String> {
    decode_labels(image).expect("the QR code is read")
}

#[test]
fn a_qr_png_reads_back_to_the_exact_uri() {
    let uris = [
        "https://ledger.example/01/06901234567892".to_owned(),
        "https://ledger.example/01/06901234567892/10/2026SP01/21/0001".to_owned(),
        link(Some("LBZ-2026-SPRING-0001"), Some("ABCDEFGHIJ0123456789")).to_uri(BASE),
        "https://ledger.terroir-coop.example/resolver/01/06901234567892/22/RAW357/10/L%2F7%25A/21/99"
            .to_owned(),
    ];
    for uri in &uris {
        let png = qr_png(uri).expect("a QR code");
        assert_eq!(decoded(&png), [uri.as_str()], "{uri}");
    }
}

#[test]
fn a_qr_png_has_whole_pixels_per_module() {
    let img = image::load_from_memory(&qr_png(&cake(1).uri).expect("a QR code")).expect("a PNG").into_luma8();
    assert_eq!(img.width(), img.height());
    // A light quiet zone, then the finder pattern's dark corner four modules in.
    assert_eq!(img.width() % 8, 0, "eight pixels per module");
    assert!(img.get_pixel(31, 31).0[0] == 255 && img.get_pixel(32, 32).0[0] == 0);
    assert!(img.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255), "crisp: black or white only");
}

#[test]
fn a_label_preview_shows_a_readable_qr_and_its_text() {
    let label = cake(7);
    for stock in &STOCKS {
        let img = preview(&label, stock);
        assert_eq!(
            img.dimensions(),
            ((stock.label_w * 12.0).round() as u32, (stock.label_h * 12.0).round() as u32)
        );
        assert_eq!(decoded(&png(&img, ImageFormat::Png)), [label.uri.as_str()], "{}", stock.id);
        // Ink right of the QR: the text is drawn, Chinese and all.
        let text_ink = img.enumerate_pixels().filter(|(x, y, p)| {
            *x > img.height() && *x < img.width() - 5 && *y > 5 && *y < img.height() - 5 && p.0[0] < 128
        });
        assert!(text_ink.count() > 4000, "{}", stock.id);
    }
}

/// A label's preview drawn as the screen shows it.
fn preview(label: &Label, stock: &Stock) -> GrayImage {
    image::load_from_memory(&label_png(label, stock).expect("a preview")).expect("a PNG").into_luma8()
}

#[test]
fn the_preview_draws_the_chinese_it_is_given() {
    // The same label with its Chinese left out draws less ink: the preview sets Chinese, not a
    // blank where it should be.
    let stock = Stock::default_stock();
    let ink = |img: &GrayImage| img.pixels().filter(|p| p.0[0] < 128).count();
    let full = ink(&preview(&cake(3), stock));
    let latin = Label {
        title: "Pu'er tea cake 357 g".into(),
        lines: vec!["Laobanzhang".into(), "2026 spring · pressed 2026-04-02".into()],
        ..cake(3)
    };
    assert!(full > ink(&preview(&latin, stock)) + 3000, "the Chinese is drawn");
}

#[test]
fn a_scaled_blurred_or_photographed_label_still_decodes() {
    let label = cake(42);
    let img = preview(&label, Stock::default_stock());
    let (w, h) = img.dimensions();

    let small = imageops::resize(&img, w * 6 / 10, h * 6 / 10, FilterType::Triangle);
    assert_eq!(decoded(&png(&small, ImageFormat::Png)), [label.uri.as_str()], "scaled down");

    let large = imageops::resize(&img, w * 17 / 10, h * 17 / 10, FilterType::CatmullRom);
    assert_eq!(decoded(&png(&large, ImageFormat::Jpeg)), [label.uri.as_str()], "scaled up, JPEG");

    let mut soft = imageops::blur(&img, 1.5);
    add_noise(&mut soft, 30, &mut Noise(7));
    assert_eq!(decoded(&png(&soft, ImageFormat::Png)), [label.uri.as_str()], "blurred and noisy");

    let photo = png(&photo_of(&img), ImageFormat::Jpeg);
    assert_eq!(decoded(&photo), [label.uri.as_str()], "on a large photo");
}

#[test]
fn several_labels_in_one_picture_are_all_read() {
    let labels: Vec<Label> = (1..=3).map(cake).collect();
    let mut canvas = GrayImage::from_pixel(900, 1400, Luma([235]));
    for (i, label) in (0i64..).zip(&labels) {
        let img = preview(label, Stock::default_stock());
        imageops::overlay(&mut canvas, &img, 60, 40 + 450 * i);
    }
    let mut found = decoded(&png(&canvas, ImageFormat::Png));
    found.sort();
    assert_eq!(found, labels.iter().map(|l| l.uri.clone()).collect::<Vec<_>>());
}

#[test]
fn a_picture_without_a_qr_code_is_a_clear_error() {
    let mut noise = Noise(99);
    let mut blank = GrayImage::from_fn(1200, 900, |x, y| Luma([(40 + (x + y) / 12) as u8]));
    add_noise(&mut blank, 25, &mut noise);
    let err = decode_labels(&png(&blank, ImageFormat::Jpeg)).expect_err("nothing to read");
    assert!(matches!(err, LabelError::NoQrCode), "{err:?}");
    assert!(err.to_string().contains("no QR code"), "{err}");

    let err = decode_labels(b"not an image").expect_err("not an image");
    assert!(matches!(err, LabelError::UnreadableImage(_)), "{err:?}");
}

#[test]
fn human_readable_lists_the_ais_the_link_has() {
    assert_eq!(human_readable(&link(None, None)), "(01) 06901234567892");
    assert_eq!(
        human_readable(&link(Some("2026SP01"), Some("0001"))),
        "(01) 06901234567892 (10) 2026SP01 (21) 0001"
    );
    assert_eq!(human_readable(&link(Some("2026SP01"), None)), "(01) 06901234567892 (10) 2026SP01");
    assert_eq!(human_readable(&link(None, Some("0001"))), "(01) 06901234567892 (21) 0001");
    let parsed = DigitalLink::parse("https://x.example/01/6901234567892/22/RAW/10/A%2FB").expect("valid");
    assert_eq!(human_readable(&parsed), "(01) 06901234567892 (22) RAW (10) A/B");
}

#[test]
fn an_empty_sheet_is_an_error() {
    let err = sheet_pdf(&[], Stock::default_stock(), Offset::default()).expect_err("nothing to print");
    assert!(matches!(err, LabelError::NothingToPrint), "{err:?}");
}

#[test]
fn a_uri_too_long_for_a_qr_code_is_an_error() {
    let label = Label { uri: "x".repeat(5000), ..cake(1) };
    let err = sheet_pdf(&[label], Stock::default_stock(), Offset::default()).expect_err("too long");
    assert!(matches!(err, LabelError::QrEncode { len: 5000, .. }), "{err:?}");
    let far = Offset { x_mm: 0.0, y_mm: 12.0 };
    let err = sheet_pdf(&[cake(1)], Stock::default_stock(), far).expect_err("too far");
    assert!(matches!(err, LabelError::Offset(_)), "{err:?}");
}

#[test]
fn every_label_on_every_stock_scans_exactly_once_and_its_chinese_is_text() {
    let labels: Vec<Label> = (1..=50).map(cake).collect();
    for stock in &STOCKS {
        let pdf = sheet_pdf(&labels, stock, Offset::default()).expect("a sheet");
        let printed = print_and_scan(&pdf);
        assert_eq!(printed.pages.len(), 50usize.div_ceil(stock.per_page()), "{}", stock.id);
        let mut expected: Vec<String> = labels.iter().map(|l| l.uri.clone()).collect();
        expected.sort();
        assert_eq!(printed.scanned, expected, "{}", stock.id);
        // The product, the garden and the mountain in Chinese, the co-op, each on every label.
        // (A line may break inside a Chinese name, as Chinese allows: "布朗" then "山".)
        for shown in ["普洱茶饼", "老班章 Laobanzhang", "布朗", "茶叶合作社", "(10) 2026SP01", "压制 pressed"]
        {
            let count = printed.text.matches(shown).count();
            assert_eq!(
                count,
                50,
                "{shown} on {}: {}",
                stock.id,
                &printed.text[..600.min(printed.text.len())]
            );
        }
        assert!(printed.text.contains("(21) 0050"));
    }
}

#[test]
fn a_scanned_sheet_page_reads_back_label_by_label() {
    let stock = Stock::default_stock();
    let labels: Vec<Label> = (1..=stock.per_page() + 2).map(cake).collect();
    let printed = print_and_scan(&sheet_pdf(&labels, stock, Offset::default()).expect("a sheet"));
    assert_eq!(printed.pages.len(), 2);

    // Reading order: left to right, top to bottom, as printed.
    let full: Vec<&str> = labels[..stock.per_page()].iter().map(|l| l.uri.as_str()).collect();
    assert_eq!(decoded(&printed.pages[0]), full);
    let rest: Vec<&str> = labels[stock.per_page()..].iter().map(|l| l.uri.as_str()).collect();
    assert_eq!(decoded(&printed.pages[1]), rest);
}

/// The top-left corner of each label's QR symbol on the first page of a sheet of `stock`
/// rendered at 300 dpi, in millimetres from the page's top-left corner. Each is searched for in
/// its label's cell widened by 4 mm all round (rqrr pairs the finder patterns of neighbouring
/// codes on a whole sheet), and must be that label's code.
fn qr_corners(pdf: &[u8], labels: &[Label], stock: &Stock) -> Vec<(f32, f32)> {
    const DPI: f32 = 300.0;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sheet = dir.path().join("sheet.pdf");
    std::fs::write(&sheet, pdf).expect("the sheet is written");
    let prefix = dir.path().join("page");
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-gray", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&sheet)
        .arg(&prefix));
    let page = image::open(dir.path().join("page.png")).expect("the page is rendered").into_luma8();
    let px = |mm: f32| (mm.max(0.0) * DPI / 25.4).round() as u32;
    let mm = |px: f32| px * 25.4 / DPI;
    labels
        .iter()
        .enumerate()
        .map(|(slot, label)| {
            let (left, top) = stock.corner(slot, Offset::default());
            let (x, y) = (px(left - 4.0), px(top - 4.0));
            let w = px(stock.label_w + 8.0).min(page.width() - x);
            let h = px(stock.label_h + 8.0).min(page.height() - y);
            let cell = imageops::crop_imm(&page, x, y, w, h).to_image();
            let mut prepared = rqrr::PreparedImage::prepare(cell);
            let found = prepared.detect_grids().into_iter().find_map(|grid| {
                let (_, uri) = grid.decode().ok()?;
                (uri == label.uri).then(|| {
                    (mm((x as i32 + grid.bounds[0].x) as f32), mm((y as i32 + grid.bounds[0].y) as f32))
                })
            });
            found.unwrap_or_else(|| panic!("{}: label {slot}'s code in its cell", stock.id))
        })
        .collect()
}

#[test]
fn the_printed_grid_matches_each_stock_and_moves_by_the_offset() {
    for stock in &STOCKS {
        let labels: Vec<Label> = (1..=stock.per_page()).map(cake).collect();
        let plain =
            qr_corners(&sheet_pdf(&labels, stock, Offset::default()).expect("a sheet"), &labels, stock);
        // Each QR sits at the same place in its label, and labels are where the stock has them:
        // columns a label and a gap apart, rows likewise.
        let (x0, y0) = plain[0];
        for (slot, (x, y)) in plain.iter().enumerate() {
            let (cx, cy) = stock.corner(slot, Offset::default());
            let (fx, fy) = stock.corner(0, Offset::default());
            assert!((x - x0 - (cx - fx)).abs() < 0.3, "{} label {slot}: x {x} vs {}", stock.id, x0 + cx - fx);
            assert!((y - y0 - (cy - fy)).abs() < 0.3, "{} label {slot}: y {y} vs {}", stock.id, y0 + cy - fy);
        }
        // The first QR lies inside the first label, clear of its edges.
        let (left, top) = stock.corner(0, Offset::default());
        assert!(x0 > left + 1.0 && x0 < left + stock.label_w / 2.0, "{}: {x0}", stock.id);
        assert!(y0 > top + 1.0 && y0 < top + stock.label_h / 2.0, "{}: {y0}", stock.id);

        let offset = Offset { x_mm: 1.5, y_mm: -1.0 };
        let moved = qr_corners(&sheet_pdf(&labels, stock, offset).expect("a sheet"), &labels, stock);
        for ((x, y), (mx, my)) in plain.iter().zip(&moved) {
            assert!(
                (mx - x - 1.5).abs() < 0.3 && (my - y + 1.0).abs() < 0.3,
                "{}: moved by the offset",
                stock.id
            );
        }
    }
}

#[test]
fn odd_text_prints_what_the_face_has_and_still_scans() {
    let odd = [
        ("普洱茶 Pu'er 357 g", "老班章 · 2026 春"),
        ("Lǎobānzhāng gǔshū chá", "Menghai\n\tcounty\u{0}"),
        ("🐄 Yak 牦牛 ear tag", "３５７ｇ"),
        ("", ""),
    ];
    let mut labels: Vec<Label> = odd
        .iter()
        .enumerate()
        .map(|(i, (title, line))| Label {
            title: (*title).to_owned(),
            lines: vec![(*line).to_owned()],
            ..cake(i + 1)
        })
        .collect();
    labels.push(Label { title: "茶".repeat(10_000), lines: vec!["W".repeat(10_000)], ..cake(6) });

    let stock = Stock::default_stock();
    let pdf = sheet_pdf(&labels, stock, Offset::default()).expect("a sheet despite the text");
    let printed = print_and_scan(&pdf);
    assert_eq!(printed.pages.len(), 1);
    let mut expected: Vec<String> = labels.iter().map(|l| l.uri.clone()).collect();
    expected.sort();
    assert_eq!(printed.scanned, expected);
    for shown in [
        "普洱茶 Pu'er 357 g",
        "老班章 · 2026 春",
        "Lǎobānzhāng gǔshū chá",
        "Menghai county",
        "Yak 牦牛 ear tag",
        "３５７ｇ",
    ] {
        assert!(printed.text.contains(shown), "{shown:?} in {:?}", printed.text);
    }
    assert!(!printed.text.contains('🐄'), "what the face lacks is left out");
    assert!(
        printed.text.contains("茶…") && printed.text.contains("W…"),
        "text too long even when shrunk ends in …"
    );
    for label in &labels {
        label_png(label, stock).expect("a preview despite the text");
    }
}

#[test]
fn a_300_cake_batch_prints_small() {
    let labels: Vec<Label> = (1..=300).map(cake).collect();
    let started = Instant::now();
    let pdf = sheet_pdf(&labels, Stock::default_stock(), Offset::default()).expect("a sheet");
    println!("sheet of 300 labels: {} bytes, {:?} (debug build)", pdf.len(), started.elapsed());
    // The face is embedded once, as a subset of the glyphs the sheet uses.
    assert!(pdf.len() < 1_000_000, "{} bytes", pdf.len());
    assert!(pdf.starts_with(b"%PDF-"));
}

/// A sheet as printed and scanned back: its pages rendered at 200 dpi (PNG), the sorted texts
/// of every QR code zbar reads on them, and the text Poppler extracts, spaced singly.
struct Printed {
    pages: Vec<Vec<u8>>,
    scanned: Vec<String>,
    text: String,
}

fn print_and_scan(pdf: &[u8]) -> Printed {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sheet = dir.path().join("sheet.pdf");
    std::fs::write(&sheet, pdf).expect("the sheet is written");
    let prefix = dir.path().join("page");
    run(Command::new("pdftoppm").args(["-r", "200", "-png"]).arg(&sheet).arg(&prefix));

    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the directory lists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let mut scanned = Vec::new();
    for page in &pages {
        let out = run(Command::new("zbarimg").args(["--raw", "-q"]).arg(page));
        scanned.extend(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned));
    }
    scanned.sort();

    let text_file = dir.path().join("sheet.txt");
    run(Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&sheet).arg(&text_file));
    let text = std::fs::read_to_string(&text_file).expect("the text is written");
    // Lines may wrap anywhere between words: compare text with single spaces.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let pages = pages.iter().map(|p| std::fs::read(p).expect("the page is rendered")).collect();
    Printed { pages, scanned, text }
}

/// Runs a Poppler or zbar command; a missing tool fails the test with how to install it.
fn run(command: &mut Command) -> Output {
    let program = Path::new(command.get_program()).display().to_string();
    let out = command.output().unwrap_or_else(|e| {
        panic!("{program} could not be run ({e}): run scripts/install-test-deps to install Poppler and zbar")
    });
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}
