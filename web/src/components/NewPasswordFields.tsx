/** True once something is typed in the repeat field that differs from the password. */
export function passwordsDiffer(password: string, repeat: string): boolean {
  return repeat.length > 0 && repeat !== password
}

/** A new password typed twice; the second field says when they differ. The first field has id
 * `id`, the second `${id}-repeat`. */
export function NewPasswordFields(props: {
  id: string
  label: string
  repeatLabel: string
  hint: string
  password: string
  repeat: string
  onPassword: (value: string) => void
  onRepeat: (value: string) => void
  minLength?: number
}) {
  const { id, label, repeatLabel, hint, password, repeat, onPassword, onRepeat, minLength } = props
  const mismatch = passwordsDiffer(password, repeat)
  return (
    <>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          required
          minLength={minLength}
          aria-describedby={`${id}-hint`}
          value={password}
          onChange={(e) => onPassword(e.target.value)}
        />
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-repeat`}>{repeatLabel}</label>
        <input
          id={`${id}-repeat`}
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? `${id}-repeat-error` : undefined}
          value={repeat}
          onChange={(e) => onRepeat(e.target.value)}
        />
        {mismatch ? (
          <span className="field-error" id={`${id}-repeat-error`}>
            The passwords don't match.
          </span>
        ) : null}
      </div>
    </>
  )
}
