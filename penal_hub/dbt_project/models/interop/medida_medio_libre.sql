{#- Medio libre cases in their current version, with the person they concern. -#}
select
    m.id_caso,
    c.persona_key,
    m.version,
    m.fecha_actualizacion,
    m.expediente,
    m.organo_jurisdiccional,
    m.tipo_medida,
    m.tipo_medida in ('PRESTACION_SERVICIOS_COMUNIDAD', 'LIMITACION_DIAS_LIBRES',
                      'PENA_SUSPENDIDA', 'RESERVA_FALLO') as es_limitativa,
    m.establecimiento_medio_libre,
    m.fecha_inicio,
    m.jornadas_impuestas,
    m.jornadas_cumplidas,
    m.estado,
    m.motivo_estado,
    m.programa_tratamiento,
    m.evaluacion_tratamiento,
    m.ve_dispositivo,
    m.ve_fecha_instalacion,
    m.ve_activo
from {{ ref('int_ml__casos_vigentes') }} as m
inner join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_medio_libre' and c.fuente_id = m.id_caso
