/** Inline SVG icons (emoji glyphs are missing from many fonts). */
const PATHS = {
  trash: 'M6 7h12M9 7V5h6v2m-8 0 1 12h8l1-12',
  edit: 'M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4',
  play: 'M7 5v14l12-7z',
};

export function Icon({ name }: { name: keyof typeof PATHS }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill={name === 'play' ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d={PATHS[name]} />
    </svg>
  );
}
