-- Pena belongs to a SENTENCIA_CONDENATORIA, Beneficio to a BENEFICIO_PENITENCIARIO,
-- PrisionPreventiva to a PRISION_PREVENTIVA or its prolongation.
select resolucion_id, tipo, pena_clase, beneficio_clase, pp_plazo_meses
from {{ ref('resolucion_judicial') }}
where (pena_clase is not null and tipo <> 'SENTENCIA_CONDENATORIA')
   or (beneficio_clase is not null and tipo <> 'BENEFICIO_PENITENCIARIO')
   or (pp_plazo_meses is not null and tipo not in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA'))
