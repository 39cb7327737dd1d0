/**
 * The tag browser: every element of an instance (decoded by the main process), sequences
 * expandable, private elements included, searchable by tag, name or value.
 */
import { useEffect, useMemo, useState } from 'react';
import type { TagNode, TagTree } from '../../../shared/contract/index.ts';
import { transferSyntaxInfo } from '../../../shared/dicom/transferSyntax.ts';
import { errorMessage, invoke } from '../../api/courier.ts';

/** True when the node or anything inside it matches `q` (lower case). */
function matches(n: TagNode, q: string): boolean {
  if (!q) return true;
  if (n.tag.toLowerCase().includes(q) || n.name.toLowerCase().includes(q) || n.value.toLowerCase().includes(q) || n.vr.toLowerCase() === q) return true;
  return n.items?.some((item) => item.some((c) => matches(c, q))) ?? false;
}

/** The tag browser panel for one instance. */
export function TagBrowser({ instanceId, onClose }: { instanceId: number | null; onClose(): void }) {
  const [tree, setTree] = useState<TagTree | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<Set<string>>(new Set());

  useEffect(() => {
    let live = true;
    setError(null);
    if (instanceId === null) {
      setTree(null);
      return;
    }
    const t = setTimeout(() => {
      invoke('viewer.tags', { instanceId }).then(
        (tr) => live && setTree(tr),
        (err) => live && (setTree(null), setError(errorMessage(err))),
      );
    }, 80);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [instanceId]);

  const q = query.trim().toLowerCase();
  const toggle = (key: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const rows = useMemo(() => {
    if (!tree) return [];
    const out: { key: string; node: TagNode; depth: number; itemLabel?: string }[] = [];
    const walk = (nodes: TagNode[], depth: number, prefix: string) => {
      for (const n of nodes) {
        if (!matches(n, q)) continue;
        const key = `${prefix}/${n.tag}`;
        out.push({ key, node: n, depth });
        if (n.items && (open.has(key) || q)) {
          n.items.forEach((item, i) => {
            if (q && !item.some((c) => matches(c, q)) && !matches({ ...n, items: undefined }, q)) return;
            out.push({ key: `${key}#${i}`, node: { tag: '', name: `Item ${i + 1}`, vr: '', length: 0, value: `${item.length} elements`, private: false }, depth: depth + 1, itemLabel: 'item' });
            walk(item, depth + 2, `${key}#${i}`);
          });
        }
      }
    };
    walk(tree.meta, 0, 'meta');
    walk(tree.elements, 0, 'ds');
    return out;
  }, [tree, open, q]);

  return (
    <section className="tag-browser" data-testid="tag-browser" aria-label="Tag browser">
      <div className="tag-head">
        <strong>Tags</strong>
        <input type="search" placeholder="Search tag, name or value" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="tag-search" />
        <button className="link" onClick={onClose} aria-label="Close tag browser">
          ×
        </button>
      </div>
      {tree && <div className="tag-sub">Transfer syntax {tree.transferSyntaxUID ? `${transferSyntaxInfo(tree.transferSyntaxUID).name} (${tree.transferSyntaxUID})` : '(none)'}</div>}
      {error && <div className="banner error small">{error}</div>}
      {instanceId === null && <p className="empty">No image selected.</p>}
      <div className="tag-table" role="table">
        {rows.map(({ key, node, depth, itemLabel }) => (
          <div
            key={key}
            role="row"
            className={`tag-row${node.private ? ' private' : ''}${itemLabel ? ' item' : ''}`}
            style={{ paddingLeft: 4 + depth * 12 }}
            data-testid="tag-row"
            data-tag={node.tag}
          >
            <span className="tag-twisty">
              {node.items ? (
                <button className="twisty" onClick={() => toggle(key)} aria-label="Expand sequence">
                  {open.has(key) || q ? '▾' : '▸'}
                </button>
              ) : null}
            </span>
            <span className="tag-id">{node.tag}</span>
            <span className="tag-vr">{node.vr}</span>
            <span className="tag-name">{node.name}</span>
            <span className="tag-value" title={node.value}>
              {node.value}
            </span>
          </div>
        ))}
      </div>
    </section>
  );
}
