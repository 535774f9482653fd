//! The label stocks a sheet is printed on, with their real dimensions, and the printer offset
//! that moves everything to meet a printer that does not feed true.

use serde::{Deserialize, Serialize};

/// One kind of label stock: the page, the labels on it and where they sit, in millimetres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stock {
    /// What the station stores and the window sends, e.g. `a4-3x8-63.5x33.9`.
    pub id: &'static str,
    /// What the clerk chooses from, in English and in Chinese.
    pub name: &'static str,
    pub name_zh: &'static str,
    pub page_w: f32,
    pub page_h: f32,
    pub label_w: f32,
    pub label_h: f32,
    pub columns: usize,
    pub rows: usize,
    /// From the page's left edge to the first column.
    pub left: f32,
    /// From the page's top edge to the first row.
    pub top: f32,
    /// Between two columns.
    pub gap_x: f32,
    /// Between two rows.
    pub gap_y: f32,
    /// Kept clear inside each label's edges: more where labels reach the page's edge, which
    /// most office printers cannot print within a few millimetres of.
    pub pad: f32,
}

/// The stocks a station prints on; the first is the default.
pub const STOCKS: [Stock; 3] = [
    // A4 with 24 labels of 63.5 × 33.9 mm: 7.25 mm side margins, 2.5 mm between columns, 12.9 mm
    // top and bottom margins, rows touching (Avery L7159, Herma 4677 and compatibles).
    Stock {
        id: "a4-3x8-63.5x33.9",
        name: "A4, 24 labels 63.5 × 33.9 mm (Avery L7159 and compatible)",
        name_zh: "A4，24 枚 63.5 × 33.9 毫米（Avery L7159 及兼容）",
        page_w: 210.0,
        page_h: 297.0,
        label_w: 63.5,
        label_h: 33.9,
        columns: 3,
        rows: 8,
        left: 7.25,
        top: 12.9,
        gap_x: 2.5,
        gap_y: 0.0,
        pad: 1.5,
    },
    // A4 with 24 labels of 70 × 37 mm edge to edge: 0.5 mm left at top and bottom (Avery 3474 and
    // compatibles).
    Stock {
        id: "a4-3x8-70x37",
        name: "A4, 24 labels 70 × 37 mm, edge to edge (Avery 3474 and compatible)",
        name_zh: "A4，24 枚 70 × 37 毫米，无边距（Avery 3474 及兼容）",
        page_w: 210.0,
        page_h: 297.0,
        label_w: 70.0,
        label_h: 37.0,
        columns: 3,
        rows: 8,
        left: 0.0,
        top: 0.5,
        gap_x: 0.0,
        gap_y: 0.0,
        pad: 3.5,
    },
    // A roll of 50 × 30 mm direct thermal labels: the printer's driver takes one page per label.
    Stock {
        id: "roll-50x30",
        name: "Roll of 50 × 30 mm thermal labels (one per page)",
        name_zh: "50 × 30 毫米热敏标签卷（每页一枚）",
        page_w: 50.0,
        page_h: 30.0,
        label_w: 50.0,
        label_h: 30.0,
        columns: 1,
        rows: 1,
        left: 0.0,
        top: 0.0,
        gap_x: 0.0,
        gap_y: 0.0,
        // A label printer prints to the label's edge; the roll's labels are die-cut apart.
        pad: 1.5,
    },
];

impl Stock {
    /// The stock named `id`.
    pub fn find(id: &str) -> Option<&'static Stock> {
        STOCKS.iter().find(|s| s.id == id)
    }

    pub fn default_stock() -> &'static Stock {
        &STOCKS[0]
    }

    /// Labels on one page.
    pub fn per_page(&self) -> usize {
        self.columns * self.rows
    }

    /// The top-left corner of label `slot` (0-based, left to right, top to bottom) on its
    /// page, offset as the printer needs.
    pub fn corner(&self, slot: usize, offset: Offset) -> (f32, f32) {
        let (column, row) = (slot % self.columns, slot / self.columns);
        (
            self.left + column as f32 * (self.label_w + self.gap_x) + offset.x_mm,
            self.top + row as f32 * (self.label_h + self.gap_y) + offset.y_mm,
        )
    }
}

/// How far to move everything printed, in millimetres: right and down are positive. Measured
/// by printing a sheet on plain paper and laying it over the stock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offset {
    pub x_mm: f32,
    pub y_mm: f32,
}

impl Offset {
    /// The most a printer offset may move the print: beyond it the stock or the printer is
    /// wrong, not the feed.
    pub const MAX_MM: f32 = 10.0;

    pub fn is_valid(&self) -> bool {
        [self.x_mm, self.y_mm].iter().all(|v| v.is_finite() && v.abs() <= Self::MAX_MM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stock_fits_its_page() {
        for s in &STOCKS {
            let right = s.left + s.columns as f32 * s.label_w + (s.columns - 1) as f32 * s.gap_x;
            let bottom = s.top + s.rows as f32 * s.label_h + (s.rows - 1) as f32 * s.gap_y;
            assert!(right <= s.page_w + 0.01 && bottom <= s.page_h + 0.01, "{}", s.id);
            // Centred where the maker centres it.
            assert!((s.page_w - right - s.left).abs() < 0.01, "{}", s.id);
            assert!((s.page_h - bottom - s.top).abs() < 0.01, "{}", s.id);
            // Nothing printed within 3 mm of an A4 page's edge, where office printers cannot print.
            if s.page_w == 210.0 {
                assert!(s.left.min(s.top) + s.pad >= 3.0, "{}", s.id);
            }
        }
    }

    #[test]
    fn the_offset_moves_every_corner() {
        let s = Stock::default_stock();
        assert_eq!(s.corner(4, Offset::default()), (7.25 + 66.0, 12.9 + 33.9));
        assert_eq!(s.corner(0, Offset { x_mm: 1.5, y_mm: -0.5 }), (8.75, 12.4));
        assert!(!Offset { x_mm: 11.0, y_mm: 0.0 }.is_valid());
        assert!(!Offset { x_mm: f32::NAN, y_mm: 0.0 }.is_valid());
    }
}
