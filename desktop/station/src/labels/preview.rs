//! The on-screen preview of one label: the printed layout drawn at 12 pixels per millimetre,
//! text in a 5×7 bitmap font (ASCII, so a preview may show less of a line than the print).

use image::{GrayImage, Luma};

use super::glyphs::{self, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_ROWS};
use super::layout::{self, LABEL_H, LABEL_W, QR_SIZE, QR_X, QR_Y};
use super::qr::{self, Symbol};
use super::text::{Face, MM_PER_PT, Style};
use super::{Label, LabelError};

const PX_PER_MM: f32 = 12.0;
const INK: Luma<u8> = Luma([0]);
const GUIDE: Luma<u8> = Luma([190]);

/// A PNG of `label` as it prints (QR, title, subtitle, GS1 line, cut guide), 768 × 414 pixels.
pub fn label_png(label: &Label) -> Result<Vec<u8>, LabelError> {
    let symbol = Symbol::encode(&label.uri)?;
    let mut canvas = GrayImage::from_pixel(px(LABEL_W), px(LABEL_H), Luma([255]));
    draw_guide(&mut canvas);

    // Whole pixels per module keep every module the same size; centre what rounding leaves.
    let scale = (px(QR_SIZE) / symbol.size() as u32).max(1);
    let code = symbol.to_gray(scale);
    let inset = (px(QR_SIZE).saturating_sub(code.width()) / 2) as i64;
    image::imageops::overlay(&mut canvas, &code, i64::from(px(QR_X)) + inset, i64::from(px(QR_Y)) + inset);

    for line in layout::lines(label, &Bitmap) {
        draw_text(&mut canvas, &line);
    }
    qr::encode_png(&canvas)
}

/// The bitmap font as a face: every character is as wide as its scaled pen advance.
struct Bitmap;

impl Face for Bitmap {
    fn shows(&self, c: char) -> bool {
        glyphs::glyph(c).is_some()
    }

    fn advance_mm(&self, _c: char, style: Style) -> f32 {
        (GLYPH_ADVANCE * glyph_scale(style)) as f32 / PX_PER_MM
    }
}

/// Pixels per font pixel for a style: the glyph's rows, descender included, make its size.
fn glyph_scale(style: Style) -> u32 {
    ((style.size_pt * MM_PER_PT * PX_PER_MM / GLYPH_ROWS as f32) as u32).max(1)
}

fn px(mm: f32) -> u32 {
    (mm * PX_PER_MM).round() as u32
}

fn draw_guide(canvas: &mut GrayImage) {
    let (w, h) = canvas.dimensions();
    for x in 0..w {
        canvas.put_pixel(x, 0, GUIDE);
        canvas.put_pixel(x, h - 1, GUIDE);
    }
    for y in 0..h {
        canvas.put_pixel(0, y, GUIDE);
        canvas.put_pixel(w - 1, y, GUIDE);
    }
}

fn draw_text(canvas: &mut GrayImage, line: &layout::Line) {
    let scale = glyph_scale(line.style);
    let top = px(line.baseline).saturating_sub(GLYPH_HEIGHT * scale);
    let mut pen = px(line.x);
    for glyph in line.text.chars().filter_map(glyphs::glyph) {
        for (col, bits) in (0u32..).zip(glyph) {
            for row in (0..GLYPH_ROWS).filter(|row| bits >> row & 1 == 1) {
                let x = pen + col * scale;
                let y = top + row * scale;
                // Bold widens each stroke by one pixel.
                let w = scale + u32::from(line.style.bold);
                fill(canvas, x, y, w, scale);
            }
        }
        pen += GLYPH_ADVANCE * scale;
    }
}

/// Paints a `w` × `h` block of ink, clipped to the canvas.
fn fill(canvas: &mut GrayImage, x: u32, y: u32, w: u32, h: u32) {
    let (cw, ch) = canvas.dimensions();
    for yy in y..(y + h).min(ch) {
        for xx in x..(x + w).min(cw) {
            canvas.put_pixel(xx, yy, INK);
        }
    }
}
