{#- Every version of every medio libre case, with the cut-off of the delivery that
    brought it: what was known of a case on any date. -#}
select
    v.id_caso,
    v.version,
    c.persona_key,
    v.fecha_actualizacion,
    v.fecha_corte as fecha_corte_entrega,
    v.tipo_medida,
    v.tipo_medida in ('PRESTACION_SERVICIOS_COMUNIDAD', 'LIMITACION_DIAS_LIBRES',
                      'PENA_SUSPENDIDA', 'RESERVA_FALLO') as es_limitativa,
    v.estado,
    v.motivo_estado,
    v.ve_activo
from {{ ref('int_ml__casos_versiones') }} as v
inner join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_medio_libre' and c.fuente_id = v.id_caso
