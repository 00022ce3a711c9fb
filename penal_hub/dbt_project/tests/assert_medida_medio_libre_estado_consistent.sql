-- motivo_estado exists exactly for a PASIVO case; es_limitativa is true exactly
-- for the limitative penalties and alternative measures (OP04's denominator).
select id_caso, estado, motivo_estado, tipo_medida, es_limitativa
from {{ ref('medida_medio_libre') }}
where (estado = 'ACTIVO' and motivo_estado is not null)
   or (estado = 'PASIVO' and motivo_estado is null)
   or es_limitativa <> (tipo_medida in ('PRESTACION_SERVICIOS_COMUNIDAD', 'LIMITACION_DIAS_LIBRES',
                                        'PENA_SUSPENDIDA', 'RESERVA_FALLO'))
