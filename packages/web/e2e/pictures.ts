import sharp from 'sharp';

const SCENES = {
  sunset: ['#ff9a5a', '#6a3d9a', '#ffd36e', '#2b2d5c'],
  lake: ['#8fd3f4', '#3b7dd8', '#ffffff', '#1f5f4a'],
  hills: ['#fde68a', '#f59e0b', '#fff7d6', '#3f6212'],
  night: ['#1e1b4b', '#0f172a', '#f8fafc', '#111827'],
} as const;

/** A small landscape picture (sky, sun or moon, ground) as a PNG, like a photo from a phone. */
export function picture(scene: keyof typeof SCENES, width = 640, height = 420): Promise<Buffer> {
  const [top, bottom, sun, ground] = SCENES[scene];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <circle cx="${width * 0.62}" cy="${height * 0.5}" r="${height / 6}" fill="${sun}"/>
    <path d="M0 ${height * 0.72} Q ${width * 0.3} ${height * 0.55} ${width * 0.55} ${height * 0.7} T ${width} ${height * 0.66} V ${height} H 0 Z" fill="${ground}"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
