//! The CAD, EDA and firmware detectors on files written by real tools from Debian packages,
//! not only the simulator's: ezdxf (DXF, ASCII and binary), Open CASCADE's DRAWEXE (STEP,
//! IGES, ASCII and binary STL), ADMesh (STL, DXF), pcb-rnd (Gerber, Excellon, KiCad board and
//! footprint, DXF), KiCad itself (the boards, schematics and footprints of Debian's
//! kicad-templates), GCC and binutils (ELF executable and object, Intel HEX and S-record by
//! objcopy), SRecord (srec_cat), and the ARM assembler (a raw Cortex-M flash image).
//! `scripts/test.sh` installs the packages; a tool that is missing is named and its formats
//! skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use breachscope_classify::Classifier;
use breachscope_classify::extract::Limits;

fn classifier() -> Classifier {
    Classifier::new(
        b"test key of at least sixteen bytes".to_vec(),
        Limits::default(),
    )
    .unwrap()
}

/// Runs a tool; `false` (with the reason printed) when it is missing or fails.
fn run(dir: &Path, program: &str, args: &[&str], stdin: Option<&str>) -> bool {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            println!("skipped: {program} is not installed ({e})");
            return false;
        }
    };
    let mut child = child;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        println!(
            "skipped: {program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return false;
    }
    true
}

/// Asserts each file's kind and format; returns how many were checked.
fn check(dir: &Path, expected: &[(&str, &str, &str)], checked: &mut Vec<String>) {
    let c = classifier();
    for (file, kind, format) in expected {
        let path = dir.join(file);
        let Ok(bytes) = std::fs::read(&path) else {
            panic!("{} was not written", path.display());
        };
        let got = c.classify(&bytes).unwrap();
        assert_eq!(
            (got.kind.as_deref(), got.technical_format.as_deref()),
            (Some(*kind), Some(*format)),
            "{file}"
        );
        assert!(got.labels.iter().any(|l| l == "technical"), "{file}");
        checked.push(format!("{file} ({format})"));
    }
}

#[test]
fn cad_and_firmware_files_written_by_real_tools() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut checked = Vec::new();

    // ezdxf, through Debian's python3 (python3-ezdxf).
    let python = "/usr/bin/python3";
    let script = "import ezdxf\nfor version, name, fmt in [('R2010', 'r2010.dxf', 'asc'), ('R12', 'r12.dxf', 'asc'), ('R2000', 'binary.dxf', 'bin')]:\n    doc = ezdxf.new(version)\n    msp = doc.modelspace()\n    msp.add_line((0, 0), (10, 0))\n    msp.add_circle((5, 5), 3)\n    doc.saveas(name, fmt=fmt)\n";
    if run(d, python, &["-c", "import ezdxf"], None) && run(d, python, &["-c", script], None) {
        check(
            d,
            &[
                ("r2010.dxf", "cad", "dxf"),
                ("r12.dxf", "cad", "dxf"),
                ("binary.dxf", "cad", "dxf"),
            ],
            &mut checked,
        );
    }

    // Open CASCADE (oce-draw): STEP, IGES and STL of a box.
    let occ = "pload MODELING DATAEXCHANGE XSDRAW\nbox b 10 20 30\nstepwrite a b box.step\nbrepiges b box.igs\nincmesh b 0.1\nwritestl b box_ascii.stl 0\nwritestl b box_binary.stl 1\nexit\n";
    std::fs::write(d.join("occ.tcl"), occ).unwrap();
    if run(d, "DRAWEXE", &["-b", "-f", "occ.tcl"], None) {
        check(
            d,
            &[
                ("box.step", "cad", "step"),
                ("box.igs", "cad", "iges"),
                ("box_ascii.stl", "cad", "stl"),
                ("box_binary.stl", "cad", "stl"),
            ],
            &mut checked,
        );
        // ADMesh rewrites Open CASCADE's mesh as binary and ASCII STL and as DXF.
        if run(
            d,
            "admesh",
            &[
                "-b",
                "admesh_binary.stl",
                "-a",
                "admesh_ascii.stl",
                "--write-dxf=admesh.dxf",
                "box_ascii.stl",
            ],
            None,
        ) {
            check(
                d,
                &[
                    ("admesh_binary.stl", "cad", "stl"),
                    ("admesh_ascii.stl", "cad", "stl"),
                    ("admesh.dxf", "cad", "dxf"),
                ],
                &mut checked,
            );
        }
    }

    // pcb-rnd: a board with a DIP-8 footprint, saved as KiCad, exported as Gerber, Excellon and
    // DXF.
    let actions = format!(
        "LoadFootprint(dip(8))\nPasteBuffer(ToLayout, 10mm, 10mm)\nSaveTo(LayoutAs, {0}/board.lht)\nSaveTo(LayoutAs, {0}/board.kicad_pcb, kicad)\nSaveTo(PasteBuffer, {0}/dip8.kicad_mod, kicad)\n",
        d.display()
    );
    if run(d, "pcb-rnd", &["--gui", "batch"], Some(&actions)) {
        let prefix = d.join("gerb").display().to_string();
        let ok = run(
            d,
            "pcb-rnd",
            &["-x", "gerber", "--gerberfile", &prefix, "board.lht"],
            None,
        ) && run(
            d,
            "pcb-rnd",
            &["-x", "excellon", "--filename", &prefix, "board.lht"],
            None,
        ) && run(
            d,
            "pcb-rnd",
            &["-x", "dxf", "--outfile", "board.dxf", "board.lht"],
            None,
        );
        let mut expected = vec![
            ("board.kicad_pcb".to_owned(), "kicad"),
            ("dip8.kicad_mod".to_owned(), "kicad"),
        ];
        if ok {
            expected.push(("board.dxf".to_owned(), "dxf"));
            for e in std::fs::read_dir(d).unwrap().filter_map(Result::ok) {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("gerb") && name.ends_with(".gbr") {
                    expected.push((name, "gerber"));
                } else if name.starts_with("gerb")
                    && name.ends_with(".cnc")
                    && e.metadata().unwrap().len() > 16
                {
                    // (the unplated drill file of a board without unplated holes is `M30`
                    // alone: nothing to recognise)
                    expected.push((name, "excellon"));
                }
            }
            assert!(expected.iter().filter(|e| e.1 == "gerber").count() >= 3);
            assert!(expected.iter().any(|e| e.1 == "excellon"));
        }
        let expected: Vec<(&str, &str, &str)> = expected
            .iter()
            .map(|(f, fmt)| (f.as_str(), "cad", *fmt))
            .collect();
        check(d, &expected, &mut checked);
    }

    // KiCad's own files, as Debian's kicad-templates ships them.
    let templates = Path::new("/usr/share/kicad/template");
    if templates.is_dir() {
        let mut kicad: Vec<PathBuf> = Vec::new();
        let mut stack = vec![templates.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "kicad_pcb" || x == "kicad_sch" || x == "kicad_mod")
                {
                    kicad.push(p);
                }
            }
        }
        assert!(
            !kicad.is_empty(),
            "kicad-templates holds boards and schematics"
        );
        for p in &kicad {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::copy(p, d.join(&name)).unwrap();
            check(d, &[(name.as_str(), "cad", "kicad")], &mut checked);
        }
    } else {
        println!("skipped: KiCad's files (kicad-templates is not installed)");
    }

    // GCC and binutils: an ELF executable and object, Intel HEX and S-record by objcopy.
    std::fs::write(
        d.join("hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .unwrap();
    if run(d, "gcc", &["-O2", "-o", "hello", "hello.c"], None)
        && run(d, "gcc", &["-c", "-o", "hello.o", "hello.c"], None)
        && run(d, "objcopy", &["-O", "ihex", "hello", "hello.hex"], None)
        && run(d, "objcopy", &["-O", "srec", "hello", "hello.srec"], None)
    {
        check(
            d,
            &[
                ("hello", "firmware", "elf"),
                ("hello.o", "firmware", "elf"),
                ("hello.hex", "firmware", "intel_hex"),
                ("hello.srec", "firmware", "srec"),
            ],
            &mut checked,
        );
        // SRecord's srec_cat from the raw text section.
        if run(
            d,
            "objcopy",
            &["-O", "binary", "-j", ".text", "hello", "text.bin"],
            None,
        ) && run(
            d,
            "srec_cat",
            &["text.bin", "-binary", "-o", "cat.hex", "-intel"],
            None,
        ) && run(
            d,
            "srec_cat",
            &["text.bin", "-binary", "-o", "cat.s19", "-motorola"],
            None,
        ) {
            check(
                d,
                &[
                    ("cat.hex", "firmware", "intel_hex"),
                    ("cat.s19", "firmware", "srec"),
                ],
                &mut checked,
            );
        }
    }

    // A raw Cortex-M flash image: a vector table and a reset handler assembled by GNU as for
    // ARM, linked at the flash base and copied out as a binary.
    let asm = ".syntax unified\n.thumb\n.section .vectors,\"a\",%progbits\n.word 0x20008000\n.word reset\n.word fault\n.word fault\n.word fault\n.word fault\n.word fault\n.word 0\n.text\n.thumb_func\nreset:\n  ldr r0, =0x40021000\n  movs r1, #1\n  str r1, [r0]\nloop:\n  b loop\n.thumb_func\nfault:\n  b fault\n";
    std::fs::write(d.join("vectors.s"), asm).unwrap();
    if run(
        d,
        "arm-none-eabi-as",
        &["-mcpu=cortex-m3", "-o", "vectors.o", "vectors.s"],
        None,
    ) && run(
        d,
        "arm-none-eabi-ld",
        &[
            "--entry=0x08000101",
            "-Ttext=0x08000100",
            "--section-start=.vectors=0x08000000",
            "-o",
            "image.elf",
            "vectors.o",
        ],
        None,
    ) && run(
        d,
        "arm-none-eabi-objcopy",
        &["-O", "binary", "image.elf", "image.bin"],
        None,
    ) {
        check(
            d,
            &[
                ("image.elf", "firmware", "elf"),
                ("image.bin", "firmware", "raw_image"),
            ],
            &mut checked,
        );
    }

    println!("checked {} files: {}", checked.len(), checked.join(", "));
}
