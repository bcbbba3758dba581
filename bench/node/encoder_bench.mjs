// The comparison side of bench/slip_bench (issue 4): the same 80 mm health
// declaration slip encoded by @point-of-sale/receipt-printer-encoder, timed
// in-process over many slips after a warm-up (Node start-up, module loading
// and the JIT's first runs excluded).
//
//   (a) text: the slip's words as ESC/POS text in the library's code pages
//       (printer model epson-tm-t20iii: 80 mm, 48 columns, Epson code page
//       table; codepage('auto') switches between TCVN-3, TCVN-3 capitals and
//       CP1258 for Vietnamese, the candidates limited to the code pages
//       Vietnamese needs; (a') leaves all of the model's code pages as
//       candidates, the library's default), its native QR command (GS ( k, model 2,
//       6 dots per module, level M, as ravao draws it) and a cut. Slips
//       differ in number, name and masked ID, as in slip_bench.
//   (b) image: slip_bench's bitmap of one slip (slip.pbm, 1 bit per dot) as
//       RGBA pixel data through .image() at its own size (576 dots wide, no
//       scaling), threshold dithering, then a cut. Mode "raster" (GS v 0,
//       the command ravao sends) is the figure compared; the model's default
//       "column" mode (ESC *) is reported too. Building the RGBA input from
//       the bitmap is timed separately and left out of (b).
//
// Usage: node encoder_bench.mjs [--slips 500] [--image-slips 200]
//          [--default-slips 50] [--warmup 50] [--pbm FILE] [--ravao slip_bench.json] [--json OUT]
// With --ravao, prints ravao's figures beside the library's and whether the
// issue's goals are met: faster than (a) per slip, at least 10x faster than
// (b), and no more bytes than (b). Exit status 0 either way (a benchmark
// reports, it does not fail), 2 on bad input.

import fs from 'node:fs';
import os from 'node:os';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';

const args = parseArgs(process.argv.slice(2));
const slips = Number(args.slips ?? 500);
const imageSlips = Number(args['image-slips'] ?? 200);
const warmup = Number(args.warmup ?? 50);
const model = 'epson-tm-t20iii';
const columns = 48;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      console.error(`encoder_bench: bad argument "${argv[i]}" (expected --name value)`);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

// --- The slip's content, as slip_bench makes it -----------------------------

const family = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Huỳnh', 'Võ', 'Đặng', 'Bùi'];
const middle = ['Văn', 'Thị', 'Hữu', 'Ngọc', 'Minh', 'Thanh', 'Đức', 'Quốc'];
const given = ['An', 'Bình', 'Cường', 'Dũng', 'Hằng', 'Khánh', 'Ngọc Ánh', 'Phượng'];

// Damm check digit, as daemon/slip/slip_number.cpp computes it.
const damm = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];
function slipNumber(sequence) {
  const digits = String(sequence).padStart(5, '0');
  let interim = 0;
  for (const c of digits) interim = damm[interim][c.charCodeAt(0) - 48];
  return digits + interim;
}

function content(i) {
  const number = slipNumber(17 + i);
  const id = String(79087000000 + i).padStart(12, '0');
  return {
    site: 'Bưu điện Văn hóa xã Tân Phú',
    counter: `Quầy ${1 + (i % 4)}`,
    issuedAt: `23/11/2026 ${String(7 + (Math.floor(i / 60) % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
    qr: `RAVAO:SLIP:${number}`,
    display: `${number.slice(0, -1)}-${number.slice(-1)}`,
    name: `${family[i % 8]} ${middle[Math.floor(i / 8) % 8]} ${given[Math.floor(i / 64) % 8]}`,
    idMasked: id.slice(0, 4) + '*'.repeat(id.length - 6) + id.slice(-2),
  };
}

const consent =
  'Tôi cam kết những thông tin trên là đúng sự thật. Tôi đồng ý để đơn vị có tên ở đầu phiếu này ' +
  'thu thập và xử lý các thông tin trên, kể cả thông tin về sức khỏe (dữ liệu cá nhân nhạy cảm), chỉ ' +
  'nhằm mục đích phòng, chống dịch và truy vết người tiếp xúc, cung cấp cho cơ quan y tế khi cần truy ' +
  'vết, và lưu giữ không quá 30 ngày, theo Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15).';

const blank = (label) => label + ' ' + '.'.repeat(Math.max(4, columns - label.length - 1));

// --- (a) the slip as text ----------------------------------------------------

// codepage('auto') tries every code page of the model's table for each
// character, by default all 50 of Epson's; the Vietnamese text of a slip
// needs only these (TCVN-3 has the lower-case letters, TCVN-3 capitals the
// upper-case ones, CP1258 has Đ; CP437 the rules' box-drawing line), and
// with them the library is about 20x faster. The default is measured too.
const vietnameseCandidates = ['cp437', 'tcvn3', 'tcvn3capitals', 'windows1258'];

function encodeText(c, candidates = vietnameseCandidates) {
  const e = new ReceiptPrinterEncoder({printerModel: model, ...(candidates ? {codepageCandidates: candidates} : {})});
  e.initialize().codepage('auto')
      .align('center').bold(true).size(2, 2).line('TỜ KHAI Y TẾ').size(1, 1)
      .line(c.site).bold(false).line(c.counter)
      .align('left').rule()
      .line(`Thời gian: ${c.issuedAt}`)
      .text('Số phiếu: ').bold(true).size(2, 2).text(c.display).size(1, 1).bold(false).newline()
      .font('B').line('Vui lòng điền đầy đủ, ký tên và nộp lại phiếu này tại quầy.').font('A')
      .rule()
      .bold(true).line('THÔNG TIN NGƯỜI KHAI').bold(false)
      .text('Họ và tên: ').bold(true).line(c.name).bold(false)
      .line(blank('Ngày sinh:'))
      .line('Giới tính:  [ ] Nam   [ ] Nữ')
      .line(blank('Quốc tịch:'))
      .text('Số CCCD/CMND/Hộ chiếu: ').bold(true).line(c.idMasked).bold(false)
      .line(blank('Số điện thoại:'))
      .line('Địa chỉ nơi ở hiện tại:')
      .line(blank('Tỉnh/thành phố:'))
      .line(blank('Quận/huyện:'))
      .line(blank('Phường/xã:'))
      .line(blank('Số nhà, đường:'))
      .rule()
      .bold(true).line('Trong 14 ngày qua, anh/chị có:').bold(false)
      .table(
          [{width: 36, align: 'left'}, {width: 6, align: 'center'}, {width: 6, align: 'center'}],
          [
            ['', 'Có', 'Không'],
            ['Sốt', '[ ]', '[ ]'],
            ['Ho', '[ ]', '[ ]'],
            ['Khó thở', '[ ]', '[ ]'],
            ['Đau họng', '[ ]', '[ ]'],
            ['Mất vị giác hoặc khứu giác', '[ ]', '[ ]'],
            ['Triệu chứng khác', '[ ]', '[ ]'],
          ])
      .line(blank('Ghi rõ:'))
      .table(
          [{width: 36, align: 'left', overflow: 'wrap'}, {width: 6, align: 'center'}, {width: 6, align: 'center'}],
          [
            ['Tiếp xúc với người bệnh hoặc nghi nhiễm COVID-19', '[ ]', '[ ]'],
            ['Đi từ/qua vùng có dịch', '[ ]', '[ ]'],
          ])
      .rule()
      .line(consent)
      .newline()
      .line('Ngày ........ tháng ........ năm ............')
      .line('Người khai ký và ghi rõ họ tên:')
      .newline(4)
      .rule()
      .align('center')
      .qrcode(c.qr, {model: 2, size: 6, errorlevel: 'm'})
      .bold(true).line(c.display).bold(false)
      .cut();
  return e.encode();
}

// --- (b) the slip's bitmap as an image ---------------------------------------

// netpbm P4 (what slip_bench writes): "P4", width, height, then rows of
// width/8 bytes, MSB = leftmost dot, 1 = black.
function readPbm(file) {
  const buf = fs.readFileSync(file);
  const header = buf.subarray(0, 64).toString('latin1').match(/^P4\s+(\d+)\s+(\d+)\s/);
  if (!header) throw new Error(`${file}: not a binary PBM (P4) file`);
  const width = Number(header[1]);
  const height = Number(header[2]);
  const bits = buf.subarray(header[0].length);
  if (bits.length !== Math.ceil(width / 8) * height) throw new Error(`${file}: ${bits.length} bytes of pixels, expected ${Math.ceil(width / 8) * height}`);
  return {width, height, bits};
}

// The ImageData-like input the library takes ({width, height, data} with
// RGBA bytes): black dots (0, 0, 0, 255), white (255, 255, 255, 255).
function toRgba(pbm) {
  const {width, height, bits} = pbm;
  const stride = Math.ceil(width / 8);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const black = (bits[y * stride + (x >> 3)] >> (7 - (x & 7))) & 1;
      const v = black ? 0 : 255;
      const o = (y * width + x) * 4;
      data[o] = v;
      data[o + 1] = v;
      data[o + 2] = v;
      data[o + 3] = 255;
    }
  }
  return {width, height, data};
}

function encodeImage(rgba, mode) {
  const e = new ReceiptPrinterEncoder({printerModel: model});
  return e.initialize()
      .image(rgba, {width: rgba.width, height: rgba.height, algorithm: 'threshold', threshold: 128, mode})
      .cut()
      .encode();
}

// --- Timing -------------------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

function summarise(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  return {mean, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100)};
}

// fn(i) returns the bytes for slip i; warm-up runs are not timed.
function measure(fn, n) {
  for (let i = 0; i < warmup; i++) fn(i);
  const us = [];
  const bytes = [];
  for (let i = warmup; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    const out = fn(i);
    const t1 = process.hrtime.bigint();
    us.push(Number(t1 - t0) / 1000);
    bytes.push(out.length);
  }
  return {n, us: summarise(us), bytes: summarise(bytes)};
}

const pkg = JSON.parse(fs.readFileSync(new URL('./node_modules/@point-of-sale/receipt-printer-encoder/package.json', import.meta.url)));
const pbmFile = args.pbm ?? (args.ravao ? JSON.parse(fs.readFileSync(args.ravao)).sample_pbm : null);

const results = {library: `${pkg.name} ${pkg.version}`, node: process.version, model};
results.text = measure((i) => encodeText(content(i)), slips);
const defaultSlips = Number(args['default-slips'] ?? 50);
results.text_all_codepages = measure((i) => encodeText(content(i), null), defaultSlips);
if (pbmFile) {
  const pbm = readPbm(pbmFile);
  const t0 = process.hrtime.bigint();
  const rgba = toRgba(pbm);
  results.rgba_build_us = Number(process.hrtime.bigint() - t0) / 1000;
  results.image_size = [pbm.width, pbm.height];
  results.image_raster = measure(() => encodeImage(rgba, 'raster'), imageSlips);
  results.image_column = measure(() => encodeImage(rgba, 'column'), imageSlips);
}

const row = (name, s, unit = '') =>
  console.log(`${name.padEnd(46)} ${[s.mean, s.p50, s.p99, s.max].map((v) => v.toFixed(0).padStart(10)).join(' ')}${unit}`);

console.log(`encoder_bench: ${results.library}, Node ${process.version}, printer model ${model}; ` +
            `${warmup} warm-up runs each; ${os.cpus()[0]?.model ?? '?'}`);
console.log(`${'per slip (microseconds; bytes)'.padEnd(46)} ${['mean', 'p50', 'p99', 'max'].map((h) => h.padStart(10)).join(' ')}`);
row(`(a) text + native QR + cut, ${slips} slips`, results.text.us);
row('    bytes', results.text.bytes);
row(`(a') same, all Epson code pages tried, ${defaultSlips} slips`, results.text_all_codepages.us);
row('    bytes', results.text_all_codepages.bytes);
if (results.image_raster) {
  row(`(b) image, raster (GS v 0), ${imageSlips} runs`, results.image_raster.us);
  row('    bytes', results.image_raster.bytes);
  row(`(b') image, column (ESC *, model default)`, results.image_column.us);
  row('    bytes', results.image_column.bytes);
  console.log(`    (building the ${results.image_size.join('x')} RGBA input once: ${results.rgba_build_us.toFixed(0)} us, not counted)`);
}

if (args.ravao) {
  const r = JSON.parse(fs.readFileSync(args.ravao));
  const ours = r.total_us;
  const a = results.text.us;
  const b = results.image_raster.us;
  const bBytes = results.image_raster.bytes.max;
  console.log();
  console.log(`comparison (ravao: render_slip + encode_raster_job, ${r.slips} slips, ${r.profile})`);
  console.log(`${''.padEnd(30)} ${['mean us', 'p50 us', 'p99 us', 'bytes'].map((h) => h.padStart(10)).join(' ')}`);
  const line = (name, s, bytes) =>
    console.log(`${name.padEnd(30)} ${[s.mean, s.p50, s.p99, bytes].map((v) => v.toFixed(0).padStart(10)).join(' ')}`);
  line('ravao raster slip', ours, r.bytes.max);
  line('(a) library text + QR', a, results.text.bytes.max);
  line('(b) library image, raster', b, bBytes);
  line("(b') library image, column", results.image_column.us, results.image_column.bytes.max);
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log(`goal 1: faster than (a) per slip       mean ${(a.mean / ours.mean).toFixed(2)}x, p50 ${(a.p50 / ours.p50).toFixed(2)}x, p99 ${(a.p99 / ours.p99).toFixed(2)}x: ${verdict(ours.mean < a.mean && ours.p50 < a.p50)}`);
  console.log(`goal 2: >= 10x faster than (b)         mean ${(b.mean / ours.mean).toFixed(1)}x, p50 ${(b.p50 / ours.p50).toFixed(1)}x, p99 ${(b.p99 / ours.p99).toFixed(1)}x: ${verdict(b.mean >= 10 * ours.mean && b.p50 >= 10 * ours.p50)}`);
  console.log(`goal 3: no more bytes than (b)         ${r.bytes.max} vs ${bBytes} (${r.bytes.max - bBytes >= 0 ? '+' : ''}${r.bytes.max - bBytes}): ${verdict(r.bytes.max <= bBytes)}`);
}

if (args.json) fs.writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n');
