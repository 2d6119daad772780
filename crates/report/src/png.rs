//! SVG charts rasterised to PNG for e-mail, with a CJK font from the system (or from
//! `YUQING_FONT_DIR`). Without a CJK font the Chinese labels would come out as boxes, so that is
//! an error that says what to install.

use std::sync::{Arc, OnceLock};

use crate::{ReportError, Result};

/// Families tried, in order, for Chinese text.
const CJK_FAMILIES: [&str; 6] = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
];

static FONTS: OnceLock<std::result::Result<(Arc<usvg::fontdb::Database>, String), String>> =
    OnceLock::new();

/// The font database (loaded once) and the CJK family found in it.
pub fn fonts() -> Result<(Arc<usvg::fontdb::Database>, String)> {
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            if let Ok(dir) = std::env::var("YUQING_FONT_DIR") {
                db.load_fonts_dir(dir);
            }
            let family = CJK_FAMILIES.iter().find(|f| {
                db.faces()
                    .any(|face| face.families.iter().any(|(name, _)| name == *f))
            });
            match family {
                Some(f) => {
                    db.set_sans_serif_family(*f);
                    Ok((Arc::new(db), f.to_string()))
                }
                None => Err(format!(
                    "no Chinese (CJK) font found for the report charts: install one (Debian: apt-get install fonts-noto-cjk) or point YUQING_FONT_DIR at a folder with a CJK .ttf/.otf/.ttc ({} fonts seen)",
                    db.len()
                )),
            }
        })
        .clone()
        .map_err(ReportError::Font)
}

/// Renders an SVG to PNG at `scale` (2.0 for sharp text on high-density screens).
pub fn render(name: &str, svg: &str, scale: f32) -> Result<Vec<u8>> {
    let (db, family) = fonts()?;
    let options = usvg::Options {
        fontdb: db,
        font_family: family,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| ReportError::Chart(name.to_string(), e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| ReportError::Chart(name.to_string(), "the chart has no size".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ReportError::Chart(name.to_string(), "cannot allocate the image".into()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ReportError::Chart(name.to_string(), e.to_string()))
}
