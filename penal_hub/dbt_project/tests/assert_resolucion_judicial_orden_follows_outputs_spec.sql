-- outputs.md: detention orders are PRISION_PREVENTIVA, PROLONGACION_PRISION_PREVENTIVA,
-- a SENTENCIA_CONDENATORIA with PRIVATIVA_EFECTIVA, and REVOCATORIA; every other
-- resolution type of feeds.md is a release order.
select resolucion_id, tipo, pena_clase, orden
from {{ ref('resolucion_judicial') }}
where orden <> case
    when tipo in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA', 'REVOCATORIA') then 'DETENCION'
    when tipo = 'SENTENCIA_CONDENATORIA' and pena_clase = 'PRIVATIVA_EFECTIVA' then 'DETENCION'
    else 'LIBERTAD'
end
