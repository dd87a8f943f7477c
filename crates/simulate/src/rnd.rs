//! The engineering share as an R&D department keeps it: seven projects, each with source code
//! in its language, design documents (some marked 社外秘 or Confidential in a header, footer or
//! first line), measurement data, CAD and EDA files, firmware images and export-control
//! determinations; three projects are installations of social infrastructure (a substation, a
//! railway signalling unit, a water plant). Beside them, notes with the near misses a marking
//! detector must leave alone (秘書, 秘密保持 in a privacy sentence, an e-mail disclaimer).
//! Every file's kind, language, labels and markings are recorded as the answer key.

use crate::SimulateError;
use crate::content::{ContentTruth, Made};
use crate::ooxml;
use crate::pii::{self, Planted, category as cat, plant};
use crate::rng::Rng;

/// A project on the R&D share.
pub struct Project {
    /// Directory name under `projects/`.
    pub name: &'static str,
    /// Title in documents.
    pub title: &'static str,
    /// Source language (report-v1 `language`) and file extension.
    pub language: &'static str,
    /// File extension of its sources.
    pub ext: &'static str,
    /// Infrastructure terms its documents and code use (empty: not infrastructure).
    pub infrastructure: &'static [&'static str],
}

/// The seven projects.
pub const PROJECTS: &[Project] = &[
    Project {
        name: "motor-ctrl",
        title: "モータ制御ユニット",
        language: "c",
        ext: "c",
        infrastructure: &[],
    },
    Project {
        name: "inverter-fw",
        title: "インバータ ファームウェア",
        language: "c",
        ext: "c",
        infrastructure: &[],
    },
    Project {
        name: "substation-monitor",
        title: "変電所監視システム",
        language: "python",
        ext: "py",
        infrastructure: &["変電所", "SCADA", "RTU"],
    },
    Project {
        name: "rail-signal-io",
        title: "鉄道信号 I/O ユニット",
        language: "c",
        ext: "c",
        infrastructure: &["鉄道", "信号保安", "PLC"],
    },
    Project {
        name: "water-plant-hmi",
        title: "浄水場 監視 HMI",
        language: "javascript",
        ext: "js",
        infrastructure: &["浄水場", "SCADA"],
    },
    Project {
        name: "battery-bms",
        title: "Battery management system",
        language: "rust",
        ext: "rs",
        infrastructure: &[],
    },
    Project {
        name: "sensor-fpga",
        title: "センサ FPGA",
        language: "verilog",
        ext: "v",
        infrastructure: &[],
    },
];

fn truth(kind: &'static str, project: &Project) -> ContentTruth {
    ContentTruth {
        kind,
        project: Some(format!("projects/{}", project.name)),
        ..ContentTruth::default()
    }
}

fn made(path: String, bytes: Vec<u8>, format: &'static str, truth: ContentTruth) -> Made {
    Made {
        path,
        bytes,
        format,
        encoding: if format == "text" || format == "csv" || format == "source" {
            "utf-8"
        } else {
            "binary"
        },
        planted: Planted::new(),
        truth,
    }
}

/// Source code in the project's language; infrastructure projects name their installation in
/// comments; one file in five starts with a 社外秘 comment line; secrets now and then.
pub(crate) fn source(rng: &mut Rng, p: &Project, n: usize) -> Made {
    let mut t = truth("source_code", p);
    t.language = Some(p.language);
    t.labels.push("technical");
    let comment = match p.language {
        "python" => "#",
        _ => "//",
    };
    let mut text = String::new();
    if rng.chance(0.2) {
        text.push_str(&format!("{comment} 社外秘\n"));
        t.labels.push("confidential");
        t.markings.push("社外秘".into());
    }
    text.push_str(&format!("{comment} {} — module {n}\n", p.title));
    if !p.infrastructure.is_empty() {
        text.push_str(&format!(
            "{comment} Target installation: {}\n",
            p.infrastructure.join(" / ")
        ));
        t.labels.push("infrastructure");
    }
    let mut planted = Planted::new();
    if rng.chance(0.1) {
        let (id, secret) = pii::cloud_key(rng);
        plant(&mut planted, cat::CLOUD_ACCESS_KEY, id.clone());
        text.push_str(&format!(
            "{comment} AWS_ACCESS_KEY_ID = \"{id}\"\n{comment} AWS_SECRET_ACCESS_KEY = \"{secret}\"\n"
        ));
    }
    match p.language {
        "c" => text.push_str("#include <stdint.h>\n#include \"board.h\"\n\n#define PWM_PERIOD 1000u\n\ntypedef struct {\n    uint32_t duty;\n    uint32_t period;\n} pwm_t;\n"),
        "rust" => text.push_str("use std::time::Duration;\n\n#[derive(Debug, Clone, Copy)]\npub struct Cell {\n    pub millivolts: u16,\n}\n"),
        "python" => text.push_str("import struct\nfrom dataclasses import dataclass\n\n"),
        "javascript" => text.push_str("const express = require('express');\n\n"),
        _ => text.push_str("`timescale 1ns / 1ps\n\n"),
    }
    for f in 0..rng.range(8, 40) {
        let body = match p.language {
            "c" => format!(
                "\nstatic void update_{f}(pwm_t *pwm, uint32_t load)\n{{\n    if (load > PWM_PERIOD) {{\n        load = PWM_PERIOD;\n    }}\n    pwm->duty = (load * pwm->period) / PWM_PERIOD;\n}}\n"
            ),
            "rust" => format!(
                "\npub fn balance_{f}(cells: &mut [Cell], limit: u16) -> usize {{\n    let mut moved = 0;\n    for c in cells.iter_mut() {{\n        if c.millivolts > limit {{\n            c.millivolts -= 1;\n            moved += 1;\n        }}\n    }}\n    moved\n}}\n"
            ),
            "python" => format!(
                "\n@dataclass\nclass Reading{f}:\n    point: int\n    value: float\n\n    def decode(self, frame):\n        self.point, self.value = struct.unpack('<If', frame[:8])\n        return self.value\n"
            ),
            "javascript" => format!(
                "\nexport function render{f}(points, limit = 100) {{\n  const shown = points.slice(0, limit);\n  return shown.map((p) => `${{p.tag}}: ${{p.value}}`);\n}}\n"
            ),
            _ => format!(
                "\nmodule filter_{f} (\n    input wire clk,\n    input wire [11:0] sample,\n    output reg [11:0] out\n);\n    always @(posedge clk) begin\n        out <= (out + sample) >> 1;\n    end\nendmodule\n"
            ),
        };
        text.push_str(&body);
    }
    let mut m = made(
        format!(
            "projects/{}/src/{}_{n:04}.{}",
            p.name,
            p.name.replace('-', "_"),
            p.ext
        ),
        text.into_bytes(),
        "source",
        t,
    );
    m.planted = planted;
    m
}

/// The paragraphs of a design document's body, with near misses mixed in.
fn design_body(rng: &mut Rng, p: &Project) -> Vec<String> {
    let mut paragraphs = Vec::new();
    for k in 1..=rng.range(6, 20) {
        paragraphs.push(match k % 5 {
            0 => "レビュー日程は秘書課経由で調整する。".to_owned(),
            1 => format!("{k}. 制御周期は 1 ms とし、異常時は 10 ms 以内に安全側へ遷移する。"),
            2 => "本書の内容に関する秘密保持義務は、別途締結した契約による。".to_owned(),
            3 => format!("{k}. The watchdog is refreshed from the main loop only."),
            _ => format!("{k}. 試験条件は付録の測定データを参照のこと。"),
        });
        if !p.infrastructure.is_empty() && k == 2 {
            paragraphs.push(format!(
                "設置先: {}（{}との通信を含む）。",
                p.infrastructure[0],
                p.infrastructure[1..].join("、")
            ));
        }
    }
    paragraphs
}

/// A design document (DOCX): its title names it; the marking, when there is one, is in the
/// page header, the footer or the first line; an export-control determination now and then.
pub(crate) fn design_document(rng: &mut Rng, p: &Project, n: usize) -> Result<Made, SimulateError> {
    let mut t = truth("design_document", p);
    t.labels.push("technical");
    let english = rng.chance(0.3);
    let title = if english {
        format!("{} — detailed design specification rev. {n}", p.title)
    } else {
        format!("{} 詳細設計書 第{n}版", p.title)
    };
    let mut paragraphs = Vec::new();
    let (mut header, mut footer) = (None, None);
    let marking = if english {
        *rng.pick(&[
            "CONFIDENTIAL",
            "Strictly Confidential",
            "Internal Use Only",
            "Proprietary",
        ])
        .unwrap_or(&"CONFIDENTIAL")
    } else {
        *rng.pick(&["社外秘", "部外秘", "関係者外秘", "極秘", "取扱注意"])
            .unwrap_or(&"社外秘")
    };
    match rng.below(4) {
        0 => header = Some(format!("{marking}　設計部")),
        1 => footer = Some(format!("{marking} - {}", p.name)),
        2 => paragraphs.push(format!("【{marking}】")),
        _ => {}
    }
    if header.is_some() || footer.is_some() || !paragraphs.is_empty() {
        t.labels.push("confidential");
        t.markings.push(marking.to_owned());
    }
    paragraphs.push(title);
    paragraphs.extend(design_body(rng, p));
    if !p.infrastructure.is_empty() {
        t.labels.push("infrastructure");
    }
    if rng.chance(0.2) {
        paragraphs
            .push("該非判定: 該当（ECCN 3A001）。輸出時は事前に許可を取得すること。".to_owned());
        t.labels.push("export_controlled");
        t.markings.push("該非判定".into());
        t.markings.push("ECCN".into());
    }
    // Every mail-merged copy ends with the sender's disclaimer: not a marking.
    paragraphs.push(
        "This document was sent by e-mail; the e-mail and any attachments are confidential and intended solely for the addressee.".to_owned(),
    );
    let bytes = ooxml::docx_with_margins(&paragraphs, header.as_deref(), footer.as_deref())?;
    Ok(made(
        format!("projects/{}/docs/design_{n:04}.docx", p.name),
        bytes,
        "docx",
        t,
    ))
}

/// Measurement data: a numeric table (CSV, or a workbook whose sheet name may carry a marking).
pub(crate) fn measurements(rng: &mut Rng, p: &Project, n: usize) -> Result<Made, SimulateError> {
    let mut t = truth("measurement_data", p);
    t.labels.push("technical");
    let header = [
        "time_s",
        "voltage_V",
        "current_A",
        "temperature_C",
        "speed_rpm",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    for k in 0..rng.range(40, 300) {
        rows.push(vec![
            format!("{:.3}", k as f64 * 0.01),
            format!("{:.2}", rng.uniform(11.5, 12.5)),
            format!("{:.3}", rng.uniform(0.1, 3.0)),
            format!("{:.1}", rng.uniform(20.0, 65.0)),
            format!("{}", rng.range(0, 3000)),
        ]);
    }
    if rng.chance(0.4) {
        let sheet = if rng.chance(0.5) {
            t.labels.push("confidential");
            t.markings.push("社外秘".into());
            "測定データ(社外秘)"
        } else {
            "測定データ"
        };
        let bytes = ooxml::xlsx(sheet, &rows)?;
        return Ok(made(
            format!("projects/{}/data/measure_{n:04}.xlsx", p.name),
            bytes,
            "xlsx",
            t,
        ));
    }
    let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    Ok(made(
        format!("projects/{}/data/measure_{n:04}.csv", p.name),
        text.into_bytes(),
        "csv",
        t,
    ))
}

/// A CAD or EDA file in one of the formats tools write.
pub(crate) fn cad(rng: &mut Rng, p: &Project, n: usize) -> Made {
    let mut t = truth("cad", p);
    t.labels.push("technical");
    let size = rng.uniform(10.0, 80.0);
    let (ext, bytes) = match rng.below(6) {
        0 => {
            let mut s = String::from(
                "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1009\n  0\nENDSEC\n  0\nSECTION\n  2\nENTITIES\n",
            );
            for k in 0..rng.range(4, 40) {
                let k = k as f64;
                s.push_str(&format!(
                    "  0\nLINE\n  8\n0\n 10\n{:.3}\n 20\n{:.3}\n 11\n{:.3}\n 21\n{:.3}\n",
                    k,
                    0.0,
                    k + size,
                    size
                ));
            }
            s.push_str("  0\nENDSEC\n  0\nEOF\n");
            ("dxf", s.into_bytes())
        }
        1 => {
            let mut s = format!(
                "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('{} bracket'),'2;1');\nFILE_NAME('part_{n}.step','2025-01-01T00:00:00',('design'),(''),'','','');\nFILE_SCHEMA(('AUTOMOTIVE_DESIGN {{ 1 0 10303 214 1 1 1 1 }}'));\nENDSEC;\nDATA;\n",
                p.name
            );
            for k in 1..rng.range(5, 60) {
                s.push_str(&format!(
                    "#{k}=CARTESIAN_POINT('',({:.3},{:.3},0.));\n",
                    k as f64 * size,
                    size
                ));
            }
            s.push_str("ENDSEC;\nEND-ISO-10303-21;\n");
            ("step", s.into_bytes())
        }
        2 => {
            let mut s = format!("solid part_{n}\n");
            for k in 0..rng.range(4, 40) {
                let z = k as f64;
                s.push_str(&format!(
                    "  facet normal 0 0 1\n    outer loop\n      vertex 0 0 {z}\n      vertex {size:.3} 0 {z}\n      vertex 0 {size:.3} {z}\n    endloop\n  endfacet\n"
                ));
            }
            s.push_str(&format!("endsolid part_{n}\n"));
            ("stl", s.into_bytes())
        }
        3 => {
            let triangles = rng.range(4, 40) as u32;
            let mut b = vec![0u8; 80];
            b[..12].copy_from_slice(b"binary STL  ");
            b.extend_from_slice(&triangles.to_le_bytes());
            for k in 0..triangles {
                for v in [
                    0.0f32,
                    0.0,
                    1.0,
                    0.0,
                    0.0,
                    k as f32,
                    size as f32,
                    0.0,
                    k as f32,
                    0.0,
                    size as f32,
                    k as f32,
                ] {
                    b.extend_from_slice(&v.to_le_bytes());
                }
                b.extend_from_slice(&[0, 0]);
            }
            ("stl", b)
        }
        4 => {
            let mut s = format!(
                "G04 {} board rev {n}*\n%FSLAX26Y26*%\n%MOMM*%\n%ADD10C,0.250000*%\nD10*\n",
                p.name
            );
            for k in 0..rng.range(5, 60) {
                s.push_str(&format!(
                    "X{}Y{}D02*\nX{}Y{}D01*\n",
                    k * 1000,
                    0,
                    k * 1000,
                    5_000_000
                ));
            }
            s.push_str("M02*\n");
            ("gbr", s.into_bytes())
        }
        _ => {
            let mut s = String::from(
                "(kicad_pcb (version 20211014) (generator pcbnew)\n  (general\n    (thickness 1.6)\n  )\n",
            );
            for k in 0..rng.range(3, 30) {
                s.push_str(&format!(
                    "  (gr_line (start {k} 0) (end {k} {size:.2}) (layer \"Edge.Cuts\") (width 0.1))\n"
                ));
            }
            s.push_str(")\n");
            ("kicad_pcb", s.into_bytes())
        }
    };
    made(
        format!("projects/{}/cad/part_{n:04}.{ext}", p.name),
        bytes,
        "cad",
        t,
    )
}

fn intel_hex(data: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let address = (i * 16) as u16;
        let mut record = vec![chunk.len() as u8, (address >> 8) as u8, address as u8, 0];
        record.extend_from_slice(chunk);
        let sum = record.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        record.push(sum.wrapping_neg());
        out.push(':');
        out.extend(record.iter().map(|b| format!("{b:02X}")));
        out.push_str("\r\n");
    }
    out.push_str(":00000001FF\r\n");
    out
}

fn srec(data: &[u8]) -> String {
    let mut out = String::from("S00F000068656C6C6F202020202000003C\n");
    for (i, chunk) in data.chunks(16).enumerate() {
        let address = (i * 16) as u16;
        let mut record = vec![(chunk.len() + 3) as u8, (address >> 8) as u8, address as u8];
        record.extend_from_slice(chunk);
        let sum = record.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        record.push(!sum);
        out.push_str("S1");
        out.extend(record.iter().map(|b| format!("{b:02X}")));
        out.push('\n');
    }
    out.push_str("S9030000FC\n");
    out
}

/// A Cortex-M flash image: the vector table (stack pointer in SRAM, Thumb handlers in flash),
/// code, and erased flash (0xFF) to the end of the last kilobyte.
fn cortex_m_image(rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x2000_8000u32.to_le_bytes());
    for _ in 0..15 {
        let handler = 0x0800_0101u32 + (rng.below(0x400) as u32) * 2;
        b.extend_from_slice(&handler.to_le_bytes());
    }
    for _ in 0..rng.range(200, 2000) {
        b.push(rng.below(256) as u8);
    }
    let end = b.len().div_ceil(1024) * 1024;
    b.resize(end, 0xff);
    b
}

/// A firmware image: Intel HEX, S-record, UF2, a raw Cortex-M image or an ELF file.
pub(crate) fn firmware(rng: &mut Rng, p: &Project, n: usize) -> Made {
    let mut t = truth("firmware", p);
    t.labels.push("technical");
    let image = cortex_m_image(rng);
    let (ext, bytes) = match rng.below(5) {
        0 => ("hex", intel_hex(&image).into_bytes()),
        1 => ("srec", srec(&image).into_bytes()),
        2 => {
            let mut b = Vec::new();
            let blocks = image.len().div_ceil(256);
            for (i, chunk) in image.chunks(256).enumerate() {
                let mut block = vec![0u8; 512];
                let words = [
                    0x0A32_4655u32,
                    0x9E5D_5157,
                    0x0000_2000,
                    0x1000_0000 + (i * 256) as u32,
                    256,
                    i as u32,
                    blocks as u32,
                    0xE48B_FF56,
                ];
                for (k, w) in words.iter().enumerate() {
                    block[k * 4..k * 4 + 4].copy_from_slice(&w.to_le_bytes());
                }
                block[32..32 + chunk.len()].copy_from_slice(chunk);
                block[508..512].copy_from_slice(&0x0AB1_6F30u32.to_le_bytes());
                b.extend_from_slice(&block);
            }
            ("uf2", b)
        }
        3 => ("bin", image),
        _ => {
            // A 32-bit little-endian ARM executable header, then the image.
            let mut b = vec![0u8; 52];
            b[..4].copy_from_slice(b"\x7fELF");
            b[4] = 1;
            b[5] = 1;
            b[6] = 1;
            b[16] = 2;
            b[18] = 40;
            b[20] = 1;
            b[24..28].copy_from_slice(&0x0800_0101u32.to_le_bytes());
            b.extend_from_slice(&image);
            ("elf", b)
        }
    };
    made(
        format!(
            "projects/{}/firmware/{}_{n:04}.{ext}",
            p.name,
            p.name.replace('-', "_")
        ),
        bytes,
        "firmware",
        t,
    )
}

/// An export-control determination (該非判定書): plain text.
pub(crate) fn export_determination(rng: &mut Rng, p: &Project, n: usize) -> Made {
    let mut t = truth("text", p);
    t.labels.push("export_controlled");
    let eccn = *rng
        .pick(&["3A001", "3A991", "5A002", "EAR99"])
        .unwrap_or(&"EAR99");
    let text = format!(
        "該非判定書 No.{n}\n対象: {} 制御基板\n判定結果: {}\n根拠: 外為法 輸出貿易管理令 別表第1\nECCN: {eccn}\n判定者: 輸出管理室\n",
        p.title,
        if eccn == "EAR99" {
            "非該当"
        } else {
            "該当"
        }
    );
    t.markings = ["該非判定", "外為法", "ECCN", "輸出管理"]
        .map(String::from)
        .to_vec();
    if eccn == "EAR99" {
        // `ECCN: EAR99` names EAR99 too.
        t.markings.insert(3, "EAR99".into());
    }
    made(
        format!("projects/{}/export/該非判定_{n:04}.txt", p.name),
        text.into_bytes(),
        "text",
        t,
    )
}

/// A note full of near misses: 秘書, 秘密保持 and 機密 in sentences, a mail disclaimer.
pub(crate) fn near_miss_note(rng: &mut Rng, n: usize) -> Made {
    let t = ContentTruth {
        kind: "text",
        ..ContentTruth::default()
    };
    let mut text = format!("秘書課からのお知らせ {n}\n");
    for _ in 0..rng.range(3, 12) {
        text.push_str("当社は、お客様の個人情報の秘密保持に努め、機密情報を適切に管理します。\n");
        text.push_str("来週の役員会議の資料は秘書課まで提出してください。\n");
    }
    text.push_str("--\nThis e-mail and any attachments are confidential and may be privileged; if you are not the intended recipient, please delete it.\n");
    made(
        format!("memo/お知らせ_{n:04}.txt"),
        text.into_bytes(),
        "text",
        t,
    )
}
