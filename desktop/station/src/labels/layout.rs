//! Where things go on one label of any size, in millimetres from the label's top-left corner:
//! the same for the printed sheet and the on-screen preview.
//!
//! ```text
//! ┌───────────────────────────────────────────┐
//! │ ┌───────────┐  普洱茶饼 Pu'er tea cake    │  title, up to two lines
//! │ │           │  老班章 Laobanzhang · 布朗山│  each further line (origin, harvest and
//! │ │    QR     │  2026 spring · 压制 2026-04…│  pressing, the co-op), up to two lines
//! │ │  (quiet   │  勐海老班章茶叶合作社        │
//! │ │  zone in) │  (01) 06901234567892        │  the GS1 line, one AI per line, from
//! │ │           │  (10) 2026SP01              │  the bottom
//! │ └───────────┘  (21) 0001                  │
//! └───────────────────────────────────────────┘
//! ```
//!
//! Text that does not fit at its size wraps; when the lines do not fit the label's height, all
//! text shrinks together, down to 60 %; only then is the last line cut with `…`.

use super::Label;
use super::text::{self, MM_PER_PT};

/// The largest QR image, quiet zone included: the symbol itself is 21 mm or more, enough for a
/// phone at arm's length.
const QR_MAX: f32 = 29.0;
/// Between the QR image (whose quiet zone is white already) and the text.
const QR_GAP: f32 = 0.8;

const TITLE_PT: f32 = 8.0;
const TITLE_LINES: usize = 2;
const DETAIL_PT: f32 = 6.5;
const DETAIL_LINES: usize = 2;
const HRI_PT: f32 = 6.0;
/// The GS1 line shrinks down to this size to show a long lot or serial whole, before it is cut.
const HRI_MIN_PT: f32 = 4.5;
/// One line per AI: 01, 22, 10 and 21 at the most.
const HRI_MAX_LINES: usize = 4;
/// The smallest share of its size text shrinks to before it is cut.
const MIN_SCALE: f32 = 0.6;

/// Line height, and the ideographic em box above and below the baseline, as shares of the size.
const LEADING: f32 = 1.2;
const ASCENT: f32 = 0.88;
const DESCENT: f32 = 0.12;

/// One line of text, placed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Line {
    pub text: String,
    pub size_pt: f32,
    pub x: f32,
    /// The baseline, down from the label's top edge.
    pub baseline: f32,
}

/// Everything on one label.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Placed {
    /// The QR image's left and top edges and its side.
    pub qr_x: f32,
    pub qr_y: f32,
    pub qr_side: f32,
    pub lines: Vec<Line>,
}

fn mm(size_pt: f32) -> f32 {
    size_pt * MM_PER_PT
}

/// The layout of `label` on a label `w` × `h` millimetres, `pad` kept clear along its edges
/// (die-cut stock and printers both wander a little).
pub(super) fn place(label: &Label, w: f32, h: f32, pad: f32) -> Placed {
    let qr_side = (h - 2.0 * pad).min(0.45 * w).min(QR_MAX);
    let (qr_x, qr_y) = (pad, (h - qr_side) / 2.0);
    let x = qr_x + qr_side + QR_GAP;
    let width = w - x - pad;

    // The GS1 line, from the bottom up.
    let mut elements = text::hri_elements(&text::showable(&label.hri));
    if elements.len() > HRI_MAX_LINES {
        let rest = elements.split_off(HRI_MAX_LINES - 1).join(" ");
        elements.push(rest);
    }
    let hri_pt = elements
        .iter()
        // A hair under the full width, so rounding cannot tip a line over it.
        .map(|e| HRI_PT * (width - 0.05) / text::width_mm(e, HRI_PT).max(f32::EPSILON))
        .fold(HRI_PT, f32::min)
        .max(HRI_MIN_PT);
    let mut lines = Vec::new();
    let last = h - pad - DESCENT * mm(hri_pt);
    let first = last - LEADING * mm(hri_pt) * elements.len().saturating_sub(1) as f32;
    for (i, element) in elements.iter().enumerate() {
        lines.push(Line {
            text: text::fit(element, width, hri_pt),
            size_pt: hri_pt,
            x,
            baseline: first + LEADING * mm(hri_pt) * i as f32,
        });
    }

    // The title and the other lines, from the top down, in what room the GS1 line leaves.
    let top = pad;
    let bottom = if elements.is_empty() { h - pad } else { first - ASCENT * mm(hri_pt) - 0.6 };
    let blocks: Vec<(String, f32, usize)> =
        std::iter::once((text::showable(&label.title), TITLE_PT, TITLE_LINES))
            .chain(label.lines.iter().map(|l| (text::showable(l), DETAIL_PT, DETAIL_LINES)))
            .filter(|(t, _, _)| !t.is_empty())
            .collect();
    let set = fitted(&blocks, width, bottom - top).unwrap_or_else(|| squeezed(&blocks, width, bottom - top));
    let mut y = top;
    for (text, size_pt) in set {
        lines.push(Line { text, size_pt, x, baseline: y + ASCENT * mm(size_pt) });
        y += LEADING * mm(size_pt);
    }
    Placed { qr_x, qr_y, qr_side, lines }
}

/// The blocks wrapped at the largest scale at which every one fits its lines and all of them
/// the height: each line with its size.
fn fitted(blocks: &[(String, f32, usize)], width: f32, height: f32) -> Option<Vec<(String, f32)>> {
    let steps = ((1.0 - MIN_SCALE) / 0.05).round() as usize;
    (0..=steps).map(|i| 1.0 - 0.05 * i as f32).find_map(|scale| {
        let mut set = Vec::new();
        for (text, size, max_lines) in blocks {
            let size = size * scale;
            set.extend(text::wrap(text, width, size, *max_lines)?.into_iter().map(|l| (l, size)));
        }
        (lines_height(&set) <= height + 0.01).then_some(set)
    })
}

/// How much height lines of these sizes take.
fn lines_height(set: &[(String, f32)]) -> f32 {
    set.iter().map(|(_, size)| LEADING * mm(*size)).sum()
}

/// The last resort, at the smallest scale: each block cut to its lines, then the last lines
/// dropped until they fit the height, the last one kept ending in `…`.
fn squeezed(blocks: &[(String, f32, usize)], width: f32, height: f32) -> Vec<(String, f32)> {
    let mut set: Vec<(String, f32)> = blocks
        .iter()
        .flat_map(|(text, size, max_lines)| {
            let size = size * MIN_SCALE;
            text::wrap_cut(text, width, size, *max_lines).into_iter().map(move |l| (l, size))
        })
        .collect();
    let mut dropped = false;
    while lines_height(&set) > height + 0.01 && set.pop().is_some() {
        dropped = true;
    }
    if dropped && let Some((last, size)) = set.last_mut() {
        let room = width - text::advance_mm(text::ELLIPSIS, *size);
        let kept = text::fit(last, room, *size);
        *last = format!("{}{}", kept.trim_end_matches(text::ELLIPSIS), text::ELLIPSIS);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::super::stock::STOCKS;
    use super::*;

    fn width(line: &Line) -> f32 {
        text::width_mm(&line.text, line.size_pt)
    }

    fn cake() -> Label {
        Label {
            uri: String::new(),
            title: "普洱茶饼 Pu'er tea cake 357 g".into(),
            lines: vec![
                "老班章 Laobanzhang · 布朗山 Bulang".into(),
                "2026 spring · 压制 pressed 2026-04-02".into(),
                "勐海老班章茶叶农民专业合作社".into(),
            ],
            hri: "(01) 06901234567892 (10) LBZ26-L01 (21) 0001".into(),
        }
    }

    /// Inside the label, clear of the QR, and no line over another.
    fn check(placed: &Placed, w: f32, h: f32, pad: f32) {
        for line in &placed.lines {
            assert!(line.x >= placed.qr_x + placed.qr_side, "{line:?}");
            assert!(line.x + width(line) <= w - pad + 0.01, "{line:?} on {w}");
            assert!(line.baseline - ASCENT * mm(line.size_pt) >= pad - 0.01, "{line:?}");
            assert!(line.baseline + DESCENT * mm(line.size_pt) <= h - pad + 0.01, "{line:?}");
        }
        let mut by_height = placed.lines.clone();
        by_height.sort_by(|a, b| a.baseline.total_cmp(&b.baseline));
        for pair in by_height.windows(2) {
            let below_first = pair[0].baseline + DESCENT * mm(pair[0].size_pt);
            assert!(pair[1].baseline - ASCENT * mm(pair[1].size_pt) >= below_first - 0.01, "{pair:?}");
        }
        assert!(placed.qr_y >= pad - 0.01 && placed.qr_y + placed.qr_side <= h - pad + 0.01);
    }

    #[test]
    fn a_cake_label_shows_every_line_whole_on_every_stock() {
        for stock in &STOCKS {
            let placed = place(&cake(), stock.label_w, stock.label_h, stock.pad);
            check(&placed, stock.label_w, stock.label_h, stock.pad);
            let text: String = placed.lines.iter().map(|l| l.text.as_str()).collect();
            assert!(!text.contains(text::ELLIPSIS), "{}: {placed:?}", stock.id);
            for word in ["普洱茶饼", "Laobanzhang", "布朗山", "2026-04-02", "合作社", "(21) 0001"] {
                assert!(text.contains(word), "{}: {word} in {placed:?}", stock.id);
            }
        }
    }

    #[test]
    fn the_longest_text_stays_inside_the_label_and_says_it_was_cut() {
        let label = Label {
            title: "Ancient arbor Pu'er raw tea cake, spring harvest, 357 g ".repeat(4),
            lines: vec!["勐海县布朗山乡老班章村".repeat(6); 5],
            hri: "(01) 06901234567892 (22) WWWWWWWWWWWWWWWWWWWW (10) WWWWWWWWWWWWWWWWWWWW \
                  (21) WWWWWWWWWWWWWWWWWWWW (99) extra"
                .to_owned(),
            ..cake()
        };
        for stock in &STOCKS {
            let placed = place(&label, stock.label_w, stock.label_h, stock.pad);
            check(&placed, stock.label_w, stock.label_h, stock.pad);
            let cut = placed.lines.iter().filter(|l| l.text.ends_with(text::ELLIPSIS)).count();
            assert!(cut >= 1, "{}: {placed:?}", stock.id);
        }
    }

    #[test]
    fn text_from_anywhere_in_unicode_fits_its_line() {
        let all: Vec<char> = (0..=0x10FFFF).step_by(7).filter_map(char::from_u32).collect();
        for chunk in all.chunks(61) {
            let text: String = chunk.iter().collect();
            let label =
                Label { uri: String::new(), title: text.clone(), lines: vec![text.clone()], hri: text };
            let placed = place(&label, 63.5, 33.9, 1.5);
            check(&placed, 63.5, 33.9, 1.5);
            assert!(placed.lines.iter().all(|l| l.text.chars().all(text::shows)), "{placed:?}");
        }
    }

    #[test]
    fn a_long_lot_shrinks_the_gs1_line_to_show_it_whole() {
        let label = Label {
            title: String::new(),
            lines: vec![],
            hri: "(01) 06901234567892 (10) LBZ-2026-SPRING-0001 (21) 0001".to_owned(),
            ..cake()
        };
        let placed = place(&label, 50.0, 30.0, 1.5);
        assert_eq!(placed.lines[1].text, "(10) LBZ-2026-SPRING-0001");
        assert!(placed.lines.iter().all(|l| l.size_pt == placed.lines[0].size_pt && l.size_pt < HRI_PT));
    }
}
