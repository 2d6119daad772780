//! Units: the organisations whose publishing is monitored and assessed (单位).

use serde::{Deserialize, Serialize};

/// The kind of a unit, as the department groups them in its weekly scoreboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UnitKind {
    /// The association's own departments and directly affiliated units (机关部门、直属单位).
    #[serde(rename = "机关")]
    Office,
    /// National societies, associations and research societies (全国学会).
    #[serde(rename = "全国学会")]
    NationalSociety,
    /// Provincial and city associations (地方科协).
    #[serde(rename = "地方科协")]
    LocalAssociation,
    /// National and other media (媒体).
    #[serde(rename = "媒体")]
    Media,
    /// Anything else (其他).
    #[serde(rename = "其他")]
    Other,
}

impl UnitKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [UnitKind; 5] = [
        UnitKind::Office,
        UnitKind::NationalSociety,
        UnitKind::LocalAssociation,
        UnitKind::Media,
        UnitKind::Other,
    ];

    /// The Chinese label used in the configuration and in reports.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Office => "机关",
            UnitKind::NationalSociety => "全国学会",
            UnitKind::LocalAssociation => "地方科协",
            UnitKind::Media => "媒体",
            UnitKind::Other => "其他",
        }
    }

    /// Reads a label as written in `sources.toml`. A few common longer spellings are accepted.
    pub fn from_label(label: &str) -> Option<UnitKind> {
        match label.trim() {
            "机关" | "机关部门" | "直属单位" => Some(UnitKind::Office),
            "全国学会" | "学会" => Some(UnitKind::NationalSociety),
            "地方科协" | "省级科协" | "省科协" => Some(UnitKind::LocalAssociation),
            "媒体" | "中央媒体" => Some(UnitKind::Media),
            "其他" => Some(UnitKind::Other),
            _ => None,
        }
    }
}

impl std::fmt::Display for UnitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A monitored unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable identifier used by sources, reports and the store (`cast`, `bast`).
    pub id: String,
    /// The unit's Chinese name (中国科协).
    pub name: String,
    pub kind: UnitKind,
    /// Region, e.g. 全国, 北京.
    pub region: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::from_label(kind.label()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.label()));
        }
        assert_eq!(UnitKind::from_label("机关部门"), Some(UnitKind::Office));
        assert_eq!(UnitKind::from_label("协会"), None);
    }
}
