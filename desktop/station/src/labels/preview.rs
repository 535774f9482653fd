//! The on-screen preview of one label: the printed layout drawn at 12 pixels per millimetre,
//! its text rasterised by `ab_glyph` from the face the sheet embeds, so the screen shows what
//! the paper will.

use ab_glyph::{Font as _, PxScale, ScaleFont as _, point};
use image::{GrayImage, Luma};

use super::qr::{self, Symbol};
use super::stock::Stock;
use super::text::{self, MM_PER_PT};
use super::{Label, LabelError, layout};

const PX_PER_MM: f32 = 12.0;
const GUIDE: Luma<u8> = Luma([190]);

/// A PNG of `label` as it prints on `stock` (QR, text, the label's outline).
pub fn label_png(label: &Label, stock: &Stock) -> Result<Vec<u8>, LabelError> {
    let symbol = Symbol::encode(&label.uri)?;
    let placed = layout::place(label, stock.label_w, stock.label_h, stock.pad);
    let mut canvas = GrayImage::from_pixel(px(stock.label_w), px(stock.label_h), Luma([255]));
    draw_outline(&mut canvas);

    // Whole pixels per module keep every module the same size; centre what rounding leaves.
    let scale = (px(placed.qr_side) / symbol.size() as u32).max(1);
    let code = symbol.to_gray(scale);
    let inset = i64::from(px(placed.qr_side).saturating_sub(code.width()) / 2);
    image::imageops::overlay(
        &mut canvas,
        &code,
        i64::from(px(placed.qr_x)) + inset,
        i64::from(px(placed.qr_y)) + inset,
    );
    for line in &placed.lines {
        draw_text(&mut canvas, line);
    }
    qr::encode_png(&canvas)
}

fn px(mm: f32) -> u32 {
    (mm * PX_PER_MM).round() as u32
}

fn draw_outline(canvas: &mut GrayImage) {
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

/// One line, each glyph at the pen position the layout measured, ink blended by coverage.
fn draw_text(canvas: &mut GrayImage, line: &layout::Line) {
    let face = text::face();
    let em_px = line.size_pt * MM_PER_PT * PX_PER_MM;
    // ab_glyph scales by the face's height (ascent − descent), not by its em.
    let scale = PxScale::from(em_px * face.height_unscaled() / face.units_per_em().unwrap_or(1000.0));
    let scaled = face.as_scaled(scale);
    let baseline = line.baseline * PX_PER_MM;
    let mut pen = line.x * PX_PER_MM;
    let (w, h) = canvas.dimensions();
    for c in line.text.chars() {
        let glyph = scaled.scaled_glyph(c);
        let glyph = ab_glyph::Glyph { position: point(pen, baseline), ..glyph };
        if let Some(outline) = face.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                let (x, y) = (bounds.min.x as i64 + i64::from(x), bounds.min.y as i64 + i64::from(y));
                if (0..i64::from(w)).contains(&x) && (0..i64::from(h)).contains(&y) {
                    let pixel = canvas.get_pixel_mut(x as u32, y as u32);
                    let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
                    pixel.0[0] = pixel.0[0].saturating_sub(ink);
                }
            });
        }
        pen += text::advance_mm(c, line.size_pt) * PX_PER_MM;
    }
}
