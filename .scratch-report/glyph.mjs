import { parseFace } from '../dist/src/report/fontmetrics.js';
import { readFileSync } from 'node:fs';
const f = parseFace(readFileSync('/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'));
for (const ch of '→≥±·…≈²–×ᵀ≤◀▶✓') console.log(ch, f.advance(ch.codePointAt(0)));
