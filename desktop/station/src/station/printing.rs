//! Labels: the stock the station prints on and the printer's offset, a label's preview and
//! an asset's sheet (a lot's own label, then its cakes in serial order).

use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};
use terroir_shared::asset::{Asset, Status};

use super::Station;
use crate::error::{Result, StationError};
use crate::labels::{self, Label};
use crate::store;
use crate::words::said;

/// A written label sheet.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sheet {
    pub path: String,
    pub labels: usize,
    pub bytes: usize,
}

/// How the station prints labels: on which stock, moved by how much.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Printing {
    /// A stock's id, e.g. `a4-3x8-63.5x33.9` (see `labels::STOCKS`).
    pub stock: String,
    #[serde(default)]
    pub offset: labels::Offset,
    /// Open each sheet in the system's PDF viewer once it is written, to print it from there.
    #[serde(default = "yes")]
    pub open_sheet: bool,
}

fn yes() -> bool {
    true
}

impl Default for Printing {
    fn default() -> Self {
        Self {
            stock: labels::Stock::default_stock().id.to_owned(),
            offset: labels::Offset::default(),
            open_sheet: true,
        }
    }
}

/// The label stocks the station prints on, and what it prints with now.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintingChoice {
    pub stocks: &'static [labels::Stock],
    pub printing: Printing,
}

impl Printing {
    /// The chosen stock; the default one if a later version no longer knows it.
    pub fn stock(&self) -> &'static labels::Stock {
        labels::Stock::find(&self.stock).unwrap_or_else(labels::Stock::default_stock)
    }
}

impl Station {
    /// The labels of an asset: a lot's own label followed by one per cake it holds; any other
    /// asset's own label. Only assets with a GS1 key have labels.
    pub fn labels_of(&self, id: &str) -> Result<Vec<Label>> {
        let detail = self.asset(id)?;
        let settings = self.settings()?;
        let mut units: Vec<Asset> = detail
            .children
            .into_iter()
            .map(|c| c.asset)
            .filter(|c| matches!(&c.status, Status::Contained { holder } if holder.to_string() == id))
            .collect();
        // In serial order, as the clerk sticks them on: `…/21/002` before `…/21/010`.
        units.sort_by_cached_key(|a| {
            let serial = a.gs1.as_ref().and_then(|l| l.serial().map(str::to_owned)).unwrap_or_default();
            (serial.len(), serial)
        });
        let labels: Vec<Label> = std::iter::once(&detail.row.asset)
            .chain(&units)
            .filter_map(|a| labels::label_of(a, &settings.server_url, &settings.coop_name))
            .collect();
        if labels.is_empty() {
            return Err(StationError::input(
                "id",
                said(
                    "this asset has no GS1 key, so no label to print",
                    "这件货品没有 GS1 编码，没有可打印的标签",
                ),
            ));
        }
        Ok(labels)
    }

    /// A PNG preview (base64) of one asset's label on the stock the station prints on.
    pub fn label_preview(&self, id: &str) -> Result<String> {
        let first = self.labels_of(id)?.remove(0);
        let printing = self.printing()?;
        Ok(base64::engine::general_purpose::STANDARD.encode(labels::label_png(&first, printing.stock())?))
    }

    /// The label stock and printer offset the station prints with.
    pub fn printing(&self) -> Result<Printing> {
        let stored = store::setting(&mut self.db(), "printing")?;
        let printing: Printing = match stored {
            Some(json) => serde_json::from_str(&json).map_err(|e| store::corrupt("printing", e))?,
            None => Printing::default(),
        };
        Ok(printing)
    }

    /// The stocks to choose from and the choice made.
    pub fn printing_choice(&self) -> Result<PrintingChoice> {
        Ok(PrintingChoice { stocks: &labels::STOCKS, printing: self.printing()? })
    }

    /// Chooses the label stock and the printer offset.
    pub fn set_printing(&self, printing: Printing) -> Result<Printing> {
        if labels::Stock::find(&printing.stock).is_none() {
            let known: Vec<&str> = labels::STOCKS.iter().map(|s| s.id).collect();
            return Err(StationError::input(
                "stock",
                said("one of the label stocks", "请选择一种标签纸").with_detail(known.join(", ")),
            ));
        }
        if !printing.offset.is_valid() {
            return Err(StationError::input("offset", {
                let most = labels::Offset::MAX_MM;
                said(
                    format!("a printer offset of at most {most} mm each way"),
                    format!("打印偏移每个方向最多 {most} 毫米"),
                )
            }));
        }
        let json = serde_json::to_string(&printing).map_err(|e| store::corrupt("printing", e))?;
        store::set_setting(&mut self.db(), "printing", &json)?;
        Ok(printing)
    }

    /// Writes the label sheet of an asset (a lot: its own label, then every cake in serial
    /// order) on the chosen stock to `path`, or to the station's `labels/` folder when `path` is
    /// `None`.
    pub fn print_labels(&self, id: &str, path: Option<&Path>) -> Result<Sheet> {
        let all = self.labels_of(id)?;
        let printing = self.printing()?;
        let pdf = labels::sheet_pdf(&all, printing.stock(), printing.offset)?;
        let path = match path {
            Some(p) => p.to_owned(),
            None => {
                let dir = self.dir.join("labels");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| StationError::file(format!("{}: {e}", dir.display())))?;
                dir.join(format!("labels-{}.pdf", &id[..id.len().min(12)]))
            }
        };
        std::fs::write(&path, &pdf).map_err(|e| StationError::file(format!("{}: {e}", path.display())))?;
        Ok(Sheet { path: path.display().to_string(), labels: all.len(), bytes: pdf.len() })
    }
}
