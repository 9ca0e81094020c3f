import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the native <dialog>: the browser makes the page behind it inert (focus stays
 * inside), Escape closes it, and focus returns to what had it before opening.
 */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  footer?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const dialog = ref.current!;
    const before = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // Focus the first field or button rather than the dialog box itself.
    const first = dialog.querySelector<HTMLElement>(
      '[data-autofocus], input:not([type=hidden]), select, textarea, button:not(.dialog__close)',
    );
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      before?.focus?.();
    };
  }, []);
  useEffect(() => {
    const dialog = ref.current!;
    const cancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, [onClose]);
  const titleId = `dialog-title-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog ref={ref} className={`dialog${props.wide ? ' dialog--wide' : ''}`} aria-labelledby={titleId}>
      <header className="dialog__header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" className="dialog__close icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="dialog__body">{props.children}</div>
      {props.footer && <footer className="dialog__footer">{props.footer}</footer>}
    </dialog>
  );
}
