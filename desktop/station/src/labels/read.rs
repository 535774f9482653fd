//! Reading labels back: every QR code in a photo or a scan of a label or a whole sheet.
//!
//! rqrr needs about four pixels a module, and it pairs finder patterns greedily: on a sheet,
//! where codes stand in rows and columns, it often pairs the corners of neighbouring codes and
//! then reads neither. So when a search sees codes it cannot read, the picture is scaled to
//! five pixels a module and searched again in overlapping windows two codes wide. Codes are
//! told apart by where they are: one code read by several searches counts once, and two labels
//! with the same code count twice.

use image::GrayImage;
use image::imageops::{self, FilterType};
use rqrr::BitGrid;

use super::LabelError;

/// The longest side a photo is searched at first: a phone's 12-megapixel photo shrinks to
/// about a fifth of its pixels, which is quicker to search and still leaves a label held at
/// arm's length several pixels per module.
const SEARCH_SIDE: u32 = 1600;
/// The longest side of the full-detail search, for a sheet photographed from afar.
const DETAIL_SIDE: u32 = 4000;
/// Gaussian smoothing, in pixels: evens out grain and JPEG blocks finer than a module.
const SMOOTHING_SIGMA: f32 = 1.2;
/// Pixels per module for the windowed search: comfortably above what rqrr needs.
const WINDOW_MODULE_PX: f32 = 5.0;
/// A window's side, in code sides.
const WINDOW_IN_CODES: f32 = 2.0;
/// How far apart windows start, in code sides: less than a window less a code, so that every
/// code lies whole in some window, with room for its quiet zone.
const WINDOW_STEP_IN_CODES: f32 = 0.8;

/// The smallest code side, in pixels, the windowed search sizes its windows for.
const MIN_CODE_PX: f32 = 84.0;

/// The text of every QR code found in `image_bytes` (a PNG or JPEG), top to bottom and left to
/// right.
///
/// The picture is turned into gray and its contrast stretched, so a dim or washed-out photo
/// reads like a scan. It is searched whole at a moderate size; while some code it sees stays
/// unread, or the codes it reads are so small that others may have gone unseen, it is searched
/// in windows, smoothed, at full detail and at a coarse size.
pub fn decode_labels(image_bytes: &[u8]) -> Result<Vec<String>, LabelError> {
    let gray = image::load_from_memory(image_bytes).map_err(LabelError::UnreadableImage)?.into_luma8();
    let longest = gray.width().max(gray.height());
    let mut reading = Reading::default();
    let mut searched = Vec::new();
    let mut windowed = false;
    for (side, smooth) in passes(longest) {
        if searched.contains(&(side, smooth)) {
            continue;
        }
        searched.push((side, smooth));
        let picture = prepared(fit_within(&gray, side), smooth);
        let scale = longest as f32 / picture.width().max(picture.height()) as f32;
        let Some(unread_size) = reading.search(&picture, scale) else {
            if reading.codes.is_empty() {
                continue;
            }
            break;
        };
        if !windowed {
            windowed = true;
            reading.search_windows(&gray, &unread_size);
            if !reading.codes.is_empty() {
                break;
            }
        }
    }
    reading.into_result()
}

/// The whole-picture searches, cheapest and likeliest first: the longest side the picture is
/// scaled to, and whether it is smoothed (which reads grainy photos better).
fn passes(longest: u32) -> [(u32, bool); 4] {
    let first = longest.min(SEARCH_SIDE);
    [(first, false), (first, true), (longest.min(DETAIL_SIDE), false), ((first / 2).max(1), true)]
}

/// The codes read so far, placed in the original picture's pixels.
#[derive(Default)]
struct Reading {
    codes: Vec<Code>,
    /// The most codes one search saw but could not read.
    unread: usize,
}

struct Code {
    text: String,
    centre: (f32, f32),
    side: f32,
}

/// How large codes in a picture seem: a module's and a code's side.
struct Size {
    module: f32,
    side: f32,
}

impl Reading {
    /// Searches all of `picture`, each of whose pixels is `scale` original pixels. Returns,
    /// when it saw codes it could not read, or read codes so small (under five pixels a module)
    /// that others beside them may have gone unseen, how large they seem, in original pixels.
    fn search(&mut self, picture: &GrayImage, scale: f32) -> Option<Size> {
        let grids = grids_in(picture.clone());
        let unread = grids.iter().filter(|g| g.text.is_none()).count();
        self.unread = self.unread.max(unread);
        for grid in &grids {
            self.add(grid, (0, 0), scale);
        }
        let small = grids.iter().any(|g| g.module < WINDOW_MODULE_PX);
        if unread == 0 && !small {
            return None;
        }
        // A code that was read measures the others best; a grid that was not may span the
        // corners of several codes.
        let finest = |read: bool| {
            grids.iter().filter(|g| g.text.is_some() == read).min_by(|a, b| a.module.total_cmp(&b.module))
        };
        finest(true).or(finest(false)).map(|g| Size { module: g.module * scale, side: g.side * scale })
    }

    /// Searches `gray`, scaled to five pixels a module of codes of `size`, in overlapping
    /// windows; a window in which a code stays unread is searched smoothed too.
    fn search_windows(&mut self, gray: &GrayImage, size: &Size) {
        let longest = gray.width().max(gray.height());
        let side = ((longest as f32 * WINDOW_MODULE_PX / size.module) as u32).clamp(1, DETAIL_SIDE);
        let picture = prepared(resized(gray, side), false);
        let scale = longest as f32 / picture.width().max(picture.height()) as f32;
        // No code rqrr can read is smaller than 21 modules of four pixels: a floor that also
        // bounds the number of windows when a grid was mismeasured.
        let code = (size.side / scale).max(MIN_CODE_PX);
        let (w, h) = picture.dimensions();
        let window = ((code * WINDOW_IN_CODES) as u32).min(w.min(h)).max(1);
        let step = ((code * WINDOW_STEP_IN_CODES) as u32).clamp(1, window);
        for y in window_starts(h, window, step) {
            for x in window_starts(w, window, step) {
                let part = imageops::crop_imm(&picture, x, y, window, window).to_image();
                let mut grids = grids_in(part.clone());
                if grids.iter().any(|g| g.text.is_none()) {
                    grids = grids_in(imageops::blur(&part, SMOOTHING_SIGMA));
                }
                for grid in &grids {
                    self.add(grid, (x, y), scale);
                }
            }
        }
    }

    /// Keeps a code read in a search of a part of the picture at `offset`, unless the same
    /// text was already read at the same place.
    fn add(&mut self, grid: &Grid, offset: (u32, u32), scale: f32) {
        let Some(text) = &grid.text else { return };
        let centre = ((grid.centre.0 + offset.0 as f32) * scale, (grid.centre.1 + offset.1 as f32) * scale);
        let side = grid.side * scale;
        let same = |c: &Code| {
            let reach = c.side.max(side) / 2.0;
            c.text == *text && (c.centre.0 - centre.0).abs() < reach && (c.centre.1 - centre.1).abs() < reach
        };
        if !self.codes.iter().any(same) {
            self.codes.push(Code { text: text.clone(), centre, side });
        }
    }

    fn into_result(mut self) -> Result<Vec<String>, LabelError> {
        if self.codes.is_empty() {
            return Err(match self.unread {
                0 => LabelError::NoQrCode,
                found => LabelError::QrUnreadable { found },
            });
        }
        // Reading order: by rows as tall as the smallest code, then left to right.
        let row_height = self.codes.iter().map(|c| c.side).fold(f32::INFINITY, f32::min).max(1.0);
        self.codes.sort_by(|a, b| {
            let row = |c: &Code| (c.centre.1 / row_height).round();
            row(a).total_cmp(&row(b)).then(a.centre.0.total_cmp(&b.centre.0))
        });
        Ok(self.codes.into_iter().map(|c| c.text).collect())
    }
}

/// One grid rqrr found, in the searched picture's pixels: where, how large, how large its
/// modules, and its text if it could be read.
struct Grid {
    text: Option<String>,
    centre: (f32, f32),
    side: f32,
    module: f32,
}

fn grids_in(picture: GrayImage) -> Vec<Grid> {
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| {
            let [a, b, c, d] = grid.bounds.map(|p| (p.x as f32, p.y as f32));
            let centre = ((a.0 + b.0 + c.0 + d.0) / 4.0, (a.1 + b.1 + c.1 + d.1) / 4.0);
            let side = (b.0 - a.0).hypot(b.1 - a.1).max((d.0 - a.0).hypot(d.1 - a.1));
            let module = side / grid.grid.size().max(1) as f32;
            Grid { text: grid.decode().ok().map(|(_, text)| text), centre, side, module }
        })
        .collect()
}

/// Where windows of `window` pixels start, `step` apart, so that together they cover `len`.
fn window_starts(len: u32, window: u32, step: u32) -> impl Iterator<Item = u32> {
    let last = len.saturating_sub(window);
    (0..=last).step_by(step as usize).chain((!last.is_multiple_of(step)).then_some(last))
}

/// `gray` ready for rqrr: contrast stretched, and smoothed if asked.
fn prepared(gray: GrayImage, smooth: bool) -> GrayImage {
    let gray = normalised(gray);
    if smooth { imageops::blur(&gray, SMOOTHING_SIGMA) } else { gray }
}

/// `gray` shrunk so its longest side is at most `side`, or as it is.
fn fit_within(gray: &GrayImage, side: u32) -> GrayImage {
    if gray.width().max(gray.height()) <= side { gray.clone() } else { resized(gray, side) }
}

/// `gray` scaled so its longest side is `side`.
fn resized(gray: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let longest = w.max(h);
    if longest == side {
        return gray.clone();
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(side) / u64::from(longest)) as u32).max(1);
    imageops::resize(gray, scale(w), scale(h), FilterType::Triangle)
}

/// `gray` with its levels stretched so the darkest percent becomes black and the lightest
/// percent white: a grey-on-grey photo reads as black on white.
fn normalised(mut gray: GrayImage) -> GrayImage {
    let mut histogram = [0usize; 256];
    for p in gray.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total = gray.pixels().len();
    let percentile = |share: usize| {
        let target = total * share / 100;
        let mut seen = 0;
        (0u8..=255)
            .find(|&v| {
                seen += histogram[usize::from(v)];
                seen > target
            })
            .unwrap_or(255)
    };
    let (low, high) = (percentile(1), percentile(99));
    if high <= low {
        return gray;
    }
    let span = f32::from(high - low);
    for p in gray.pixels_mut() {
        p.0[0] = (f32::from(p.0[0].saturating_sub(low)) / span * 255.0).min(255.0) as u8;
    }
    gray
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_picture() {
        assert_eq!(window_starts(1000, 400, 200).collect::<Vec<_>>(), [0, 200, 400, 600]);
        assert_eq!(window_starts(1050, 400, 200).collect::<Vec<_>>(), [0, 200, 400, 600, 650]);
        assert_eq!(window_starts(300, 300, 150).collect::<Vec<_>>(), [0]);
    }
}
