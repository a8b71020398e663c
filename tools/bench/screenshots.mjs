// The peer in Preflight's screenshot benchmark: a plain puppeteer-core script driving the
// same system Chromium, taking the same full-page screenshots one after another.
// Usage: node screenshots.mjs CHROMIUM OUT-DIR URL...   (prints the seconds it took)
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';

const [chromium, out, ...urls] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const viewports = [
  { name: 'desktop', width: 1440, height: 900, deviceScaleFactor: 1, isMobile: false, hasTouch: false, ua: null },
  { name: 'old-ie', width: 1024, height: 768, deviceScaleFactor: 1, isMobile: false, hasTouch: false, ua: 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko' },
  { name: 'ipad', width: 768, height: 1024, deviceScaleFactor: 2, isMobile: true, hasTouch: true, ua: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' },
  { name: 'phone', width: 390, height: 844, deviceScaleFactor: 3, isMobile: true, hasTouch: true, ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' },
];
const t0 = process.hrtime.bigint();
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
const page = await browser.newPage();
const defaultUa = (await browser.userAgent()).replace('HeadlessChrome', 'Chrome');
let n = 0;
for (const url of urls) {
  for (const v of viewports) {
    await page.setViewport({ width: v.width, height: v.height, deviceScaleFactor: v.deviceScaleFactor, isMobile: v.isMobile, hasTouch: v.hasTouch });
    await page.setUserAgent(v.ua || defaultUa);
    await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    await page.screenshot({ path: `${out}/${n++}-${v.name}.png`, fullPage: true });
  }
}
await browser.close();
console.log(Number(process.hrtime.bigint() - t0) / 1e9);
